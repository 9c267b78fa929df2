/**
 * Where a model named by the caller lives: the one place every entry point (the engine, the worker
 * client, the library API, the elements) resolves model ids and URLs.
 *   - an id ("nextscale-tiny") → `${modelBaseUrl}${id}/`;
 *   - a URL or path ("https://…", "file:…", "/…", "./…") → itself, relative ones against the page;
 *   - nothing → the default model.
 * The result is absolute and ends with "/", so it means the same in a worker as on the page.
 */
export const DEFAULT_MODEL_BASE_URL = '/models/';
export const DEFAULT_MODEL = 'nextscale-tiny';

export function resolveModelUrl(model?: string | null, modelBaseUrl = DEFAULT_MODEL_BASE_URL, defaultModel = DEFAULT_MODEL): string {
  const m = (model ?? '').trim() || defaultModel;
  const page = globalThis.location?.href;
  // In a worker, location is the worker script (a blob: URL for the inline build): not a base for paths.
  const base = page && /^https?:|^file:/.test(page) ? page : 'http://localhost/';
  const isPath = /^[a-z][a-z0-9+.-]*:/i.test(m) || m.startsWith('/') || m.startsWith('.');
  const url = isPath ? new URL(m, base) : new URL(`${m}/`, new URL(modelBaseUrl, base));
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
