/**
 * Random access to a remote (or file:, or picked) file through fetch with HTTP Range requests: the size
 * from the first answer's Content-Range, then each read one ranged GET. A server that ignores Range sends
 * the whole file; it is then read once into memory. Errors are the store's own typed ones.
 */
import type { RandomAccess } from '../formats/pth';
import { DownloadCancelledError, DownloadTruncatedError, ModelNotFoundError, NotModelFileError, TruncatedFileError } from '../api/errors';
import { isAbort } from './download';

export interface RangeAccessOptions {
  fetch: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Bytes received so far, after each read. */
  onBytes?: (received: number, size: number) => void;
}

async function get(url: string, o: RangeAccessOptions, range?: [number, number]): Promise<Response> {
  let res: Response;
  try {
    res = await o.fetch(url, { cache: 'no-store', signal: o.signal, headers: range ? { Range: `bytes=${range[0]}-${range[1] - 1}` } : {} });
  } catch (e) {
    if (isAbort(e, o.signal)) throw new DownloadCancelledError(url);
    throw new ModelNotFoundError(url, `network error: ${(e as Error).message}`, { cause: e });
  }
  if (res.status === 404 || res.status === 410 || (!res.ok && res.status !== 416)) {
    res.body?.cancel().catch(() => {});
    throw new ModelNotFoundError(url, `HTTP ${res.status}`);
  }
  const type = (res.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    res.body?.cancel().catch(() => {});
    throw new NotModelFileError(url, type);
  }
  return res;
}

async function body(url: string, res: Response, want: number, o: RangeAccessOptions, onChunk?: (n: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(want);
  let at = 0;
  const reader = res.body?.getReader();
  try {
    while (reader && at < want) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (isAbort(e, o.signal)) throw new DownloadCancelledError(url);
        throw new DownloadTruncatedError(url, at, want, { cause: e });
      }
      if (r.done) break;
      const n = Math.min(r.value.length, want - at);
      out.set(r.value.subarray(0, n), at);
      at += n;
      onChunk?.(n);
    }
  } finally {
    reader?.cancel().catch(() => {});
  }
  if (at < want) throw url.startsWith('file:') ? new TruncatedFileError(url, at, want) : new DownloadTruncatedError(url, at, want);
  return out;
}

export async function rangeAccess(url: string, o: RangeAccessOptions): Promise<RandomAccess> {
  let received = 0;
  const probe = await get(url, o, [0, 1]);
  if (probe.status === 416) throw new TruncatedFileError(url, 0, 1);
  const total = Number(/\/(\d+)\s*$/.exec(probe.headers.get('Content-Range') ?? '')?.[1] ?? NaN);
  if (probe.status !== 206 || !Number.isSafeInteger(total)) {
    // No ranges here: the whole file, once, into memory.
    const size = Number(probe.headers.get('Content-Length') ?? NaN);
    if (!Number.isSafeInteger(size)) {
      const all = new Uint8Array(await probe.arrayBuffer());
      o.onBytes?.(all.length, all.length);
      return { size: all.length, read: async (s, e) => all.subarray(s, e) };
    }
    const all = await body(url, probe, size, o, (n) => o.onBytes?.((received += n), size));
    return { size, read: async (s, e) => all.subarray(s, e) };
  }
  probe.body?.cancel().catch(() => {});
  return {
    size: total,
    read: async (start, end) => {
      if (start < 0 || end > total || start > end) throw new TruncatedFileError(url, total, end);
      if (start === end) return new Uint8Array(0);
      const res = await get(url, o, [start, end]);
      if (res.status === 416) throw new TruncatedFileError(url, total, end);
      const at = res.status === 206 ? Number(/bytes\s+(\d+)-/.exec(res.headers.get('Content-Range') ?? '')?.[1] ?? NaN) : 0;
      if (at !== start) {
        res.body?.cancel().catch(() => {});
        throw new DownloadTruncatedError(url, start, total);
      }
      return body(url, res, end - start, o, (n) => o.onBytes?.((received += n), total));
    },
  };
}
