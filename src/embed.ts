/**
 * The <script src="nextscale.js"> entry: registers <nextscale-image> and <nextscale-chat> and exposes
 * the API as `window.nextscale`. `data-model-base` on the script tag sets where model ids resolve
 * (default: a "models/" folder next to the script file).
 */
import * as api from './index';

const script = document.currentScript as HTMLScriptElement | null;
const base = script?.dataset.modelBase ?? (script?.src ? new URL('models/', script.src).href : undefined);
// onnxruntime's .wasm files (the CPU backend) are beside the script.
const wasmPaths = script?.src ? new URL('./', script.src).href : undefined;
api.configure({ modelBaseUrl: base, defaultModel: script?.dataset.defaultModel, wasmPaths });
api.defineElements();
(globalThis as { nextscale?: typeof api }).nextscale = api;
