/**
 * Model files the user picked (a folder from a file picker or a drop) served as if from a server,
 * so they go through the same store code as a download: manifest parsing, size and sha256 checks,
 * and the IndexedDB cache (the next visit needs no files at all). Range requests are honoured.
 */

/** The synthetic base URL of a picked folder; the store keys its cache by it and by the manifest's id. */
export function localFilesBase(name: string): string {
  return `nextscale-local://${encodeURIComponent(name || 'model')}/`;
}

/** Path of a picked file inside its model folder: webkitRelativePath without the folder itself, or the name. */
function pathInFolder(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return rel ? rel.split('/').slice(1).join('/') : f.name;
}

/** A fetch over the picked files for URLs under `base`; anything else goes to the real fetch. */
export function localFilesFetch(files: readonly File[], base: string, next: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  const byPath = new Map(files.map((f) => [pathInFolder(f), f]));
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(base)) return next(input, init);
    init?.signal?.throwIfAborted();
    const f = byPath.get(decodeURIComponent(url.slice(base.length)));
    if (!f) return new Response('not among the picked files', { status: 404, statusText: 'Not Found' });
    const range = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), f.size - 1) : f.size - 1;
    if (range && start >= f.size) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${f.size}` } });
    const headers = new Headers({ 'Content-Length': String(Math.max(0, end - start + 1)), 'Content-Type': 'application/octet-stream' });
    if (range) headers.set('Content-Range', `bytes ${start}-${end}/${f.size}`);
    return new Response(f.slice(start, end + 1), { status: range ? 206 : 200, headers });
  };
}
