/**
 * Vite plugin for the CPU (wasm) backend: onnxruntime-web's wasm-only build, with its two runtime files
 * (ort-wasm-simd-threaded.mjs, the Emscripten glue that is also the thread workers' script, and
 * ort-wasm-simd-threaded.wasm) loaded from a folder the page names (src/worker/ort-base.ts):
 *   - `onnxruntime-web` resolves to dist/ort.wasm.min.mjs (no WebGPU EP, no inlined .wasm);
 *   - __NEXTSCALE_ORT_BASE__ is that folder relative to the page-side script: node_modules in the dev
 *     server; in a build the script's own folder, `filesDir` of the output, which gets the two files
 *     copied in, never hashed (the library: dist/lib/; the demo pages: dist/assets/).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';

const DIST = resolve(__dirname, '../../node_modules/onnxruntime-web/dist');
export const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/** `filesDir`: the output folder of the page-side scripts, where the files go ('' = the output folder itself). */
export function ortFiles(filesDir = ''): Plugin {
  let build = false;
  return {
    name: 'nextscale-ort-files',
    config(_c, env) {
      build = env.command === 'build';
      return {
        resolve: { alias: [{ find: /^onnxruntime-web$/, replacement: resolve(DIST, 'ort.wasm.min.mjs') }] },
        optimizeDeps: { exclude: ['onnxruntime-web'] },
        define: { __NEXTSCALE_ORT_BASE__: JSON.stringify(build ? './' : '/node_modules/onnxruntime-web/dist/') },
      };
    },
    generateBundle() {
      for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: filesDir ? `${filesDir}/${f}` : f, source: readFileSync(resolve(DIST, f)) });
    },
  };
}
