/**
 * Where the page finds onnxruntime-web's ort-wasm-simd-threaded.{mjs,wasm} for the CPU backend, as an
 * absolute URL the engine's worker can use (a worker started from a Blob URL cannot resolve relative
 * ones). The build sets __NEXTSCALE_ORT_BASE__ (vite.config.ts, vite.lib.config.ts): beside the script
 * in the library and app builds, which copy the two files there; node_modules in the dev server.
 */
declare const __NEXTSCALE_ORT_BASE__: string | undefined;

export function ortBaseUrl(): string | undefined {
  const base = typeof __NEXTSCALE_ORT_BASE__ === 'string' ? __NEXTSCALE_ORT_BASE__ : undefined;
  if (base === undefined) return undefined;
  try {
    return new URL(base, import.meta.url).href;
  } catch {
    return undefined;
  }
}
