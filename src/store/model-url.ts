/**
 * Where a model named by the caller lives: the one place every entry point (the engine, the worker
 * client, the library API, the elements) resolves model ids and URLs.
 *   - an id ("nextscale-tiny") → `${modelBaseUrl}${id}/`;
 *   - a URL or path ("https://…", "file:…", "/…", "./…") → itself, relative ones against the page;
 *   - nothing → the default model.
 * The result is absolute and ends with "/", so it means the same in a worker as on the page.
 * A PyTorch checkpoint (a path or URL ending in .pth, or "hf:<org>/<repo>/<file>.pth") stays a file URL:
 * see resolveCheckpointUrl.
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

/** A path or URL of a PyTorch checkpoint (var_d16.pth), or a hub name of one ("hf:FoundationVision/var/var_d16.pth"). */
export function isCheckpointSource(model: string): boolean {
  return /\.pth$/i.test(model.trim().split(/[?#]/)[0]);
}

/**
 * "hf:<org>/<repo>[@<revision>]/<path>" → the Hugging Face hub's download URL of that file
 * (https://huggingface.co/<org>/<repo>/resolve/<revision or main>/<path>); anything else unchanged.
 */
export function expandHubUrl(model: string): string {
  const m = /^hf:([^/\s]+)\/([^/@\s]+)(?:@([^/\s]+))?\/(.+)$/.exec(model.trim());
  if (!m) return model.trim();
  const [, org, repo, rev, path] = m;
  return `https://huggingface.co/${org}/${repo}/resolve/${encodeURIComponent(rev ?? 'main')}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** A checkpoint's absolute URL (relative paths against the page), hub names expanded. */
export function resolveCheckpointUrl(model: string): string {
  const page = globalThis.location?.href;
  const base = page && /^https?:|^file:/.test(page) ? page : 'http://localhost/';
  return new URL(expandHubUrl(model), base).href;
}

/** The official VAE file name, looked for beside the transformer's checkpoint unless another is given. */
export const DEFAULT_VAE_FILE = 'vae_ch160v4096z32.pth';
export function defaultVaeUrl(varUrl: string): string {
  return new URL(DEFAULT_VAE_FILE, varUrl).href;
}
