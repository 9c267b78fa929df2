/**
 * A fetch that also reads file: URLs, so the CLI loads a local model directory through the very
 * same store code as the browser (manifest parsing, size and sha256 checks, typed errors).
 * Honours Range requests and AbortSignal; other URLs go to the real fetch.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export function createFileFetch(next: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'file:') return next(input, init);
    init?.signal?.throwIfAborted();
    const path = fileURLToPath(url);
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) return new Response('not a file', { status: 404, statusText: 'Not Found' });
      size = s.size;
    } catch {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (range && start >= size) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
    const headers = new Headers({ 'Content-Length': String(Math.max(0, end - start + 1)), 'Content-Type': 'application/octet-stream' });
    if (range) headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
    const body = size === 0 ? null : (Readable.toWeb(createReadStream(path, { start, end, signal: init?.signal ?? undefined })) as ReadableStream<Uint8Array>);
    return new Response(body, { status: range ? 206 : 200, headers });
  };
}
