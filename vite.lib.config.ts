import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// The library builds (npm run build:lib), one entry per run:
//   NEXTSCALE_LIB=esm (default) → dist/lib/nextscale.js, an ES module for bundlers (src/index.ts);
//   NEXTSCALE_LIB=script        → dist/lib/nextscale.iife.js, one file for <script src> (src/embed.ts).
// Both carry the engine's worker inline (src/worker/factory.ts), so nothing else is served.
const script = process.env.NEXTSCALE_LIB === 'script';

export default defineConfig({
  // public/ holds the demo pages' static files, not the library's.
  publicDir: false,
  worker: { format: 'es' },
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
