/** A fetch over a local model directory, for Node tests: http://local/<path> reads <dir>/<path>. */
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

export const LOCAL_BASE = 'http://local/';

export function localDirFetch(dir: string): typeof globalThis.fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
    if (rel.startsWith('..')) return new Response('bad path', { status: 400 });
    try {
      const body = await readFile(join(dir, rel));
      return new Response(body, { status: 200, headers: { 'content-length': String(body.byteLength) } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  }) as typeof globalThis.fetch;
}
