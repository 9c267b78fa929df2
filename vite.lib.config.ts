import { defineConfig } from 'vite';
import { resolve } from 'node:path';
import { ortFiles } from './tools/vite/ort-files';

// The library builds (npm run build:lib), one entry per run:
//   NEXTSCALE_LIB=esm (default) → dist/lib/nextscale.js, an ES module for bundlers (src/index.ts);
//   NEXTSCALE_LIB=script        → dist/lib/nextscale.iife.js, one file for <script src> (src/embed.ts).
// Both carry the engine's worker inline (src/worker/factory.ts), so nothing else is served.
const script = process.env.NEXTSCALE_LIB === 'script';

export default defineConfig({
  // The CPU backend's onnxruntime files, copied beside nextscale.js / nextscale.iife.js.
  plugins: [ortFiles()],
  // public/ holds the demo pages' static files, not the library's.
  publicDir: false,
  // The worker travels inline (a Blob URL), so it cannot load chunks: onnxruntime's JS goes inside it.
  worker: { format: 'es', rollupOptions: { output: { codeSplitting: false } } },
  // The script build finds its folder from document.currentScript (src/embed.ts), not import.meta.
  define: script ? { 'import.meta.url': 'undefined' } : {},
  build: {
    target: 'es2022',
    outDir: 'dist/lib',
    emptyOutDir: !script,
    sourcemap: true,
    lib: script
      ? { entry: resolve(__dirname, 'src/embed.ts'), formats: ['iife'], name: 'nextscaleEmbed', fileName: () => 'nextscale.iife.js' }
      : { entry: resolve(__dirname, 'src/index.ts'), formats: ['es'], fileName: () => 'nextscale.js' },
  },
});
