import { defineConfig } from 'vite';
import { resolve } from 'node:path';
import { serveModels } from './tools/vite/serve-models';
import { ortFiles } from './tools/vite/ort-files';

// Cross-origin isolation (COOP/COEP) gives SharedArrayBuffer and precise timers to the page and
// its worker; WebGPU itself needs a secure context, which http://localhost is.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // The bundled default model (models/<name>/) at /models/<name>/ in dev, preview and the build.
  // ortFiles: the CPU backend's onnxruntime files, beside the pages' scripts in the build (assets/).
  plugins: [serveModels(), ortFiles('assets')],
  // NEXTSCALE_NO_HMR=1 (the kernel tests' server): several people edit this tree while tests run,
  // and a hot reload would wipe the test page mid-suite.
  server: { headers: isolation, port: 5173, hmr: process.env.NEXTSCALE_NO_HMR ? false : undefined },
  preview: { headers: isolation, port: 4173 },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(__dirname, 'index.html'),
        chat: resolve(__dirname, 'chat.html'),
      },
    },
  },
});
