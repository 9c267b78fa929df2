/**
 * Stream one run of missing chunks [first, last) of a file: an HTTP Range request (a server that
 * ignores Range and answers 200 has the bytes before the run skipped), hashed while streaming into
 * the file's running SHA-256 and each chunk's own hash; every completed chunk is written to storage
 * together with the record that marks it, so an interruption keeps every whole chunk.
 */
import type { LoadContext } from './context';
import { DownloadCancelledError, DownloadTruncatedError, IntegrityError, ModelNotFoundError, NotModelFileError, TruncatedFileError } from '../api/errors';
import { keys } from './storage';
import { Sha256 } from './sha256';

/** What the store remembers about one file of a model. */
export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
  chunkSize: number;
  /** sha256 of each stored chunk; null where the chunk is not stored yet. */
  chunkHashes: (string | null)[];
  /** The whole file matched the manifest once; it is still re-hashed on every load. */
  verified: boolean;
  /** A model loaded from it once found every weight value finite (models/weights.ts): not scanned again. */
  valuesChecked?: boolean;
}

export function chunkLength(rec: FileRecord, i: number): number {
  return Math.min(rec.chunkSize, rec.size - i * rec.chunkSize);
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted || (e as { name?: string } | null)?.name === 'AbortError';
}

export async function fetchRun(
  ctx: LoadContext,
  url: string,
  rec: FileRecord,
  chunks: (Uint8Array | undefined)[],
  first: number,
  last: number,
  fileHash: Sha256,
): Promise<void> {
  const start = first * rec.chunkSize;
  const end = Math.min(last * rec.chunkSize, rec.size);
  const whole = start === 0 && end === rec.size;
  let res: Response;
  try {
    res = await ctx.fetch(url, {
      // The chunks live in IndexedDB; keeping a second copy in the HTTP cache would double the disk use.
      cache: 'no-store',
      headers: whole ? {} : { Range: `bytes=${start}-${end - 1}` },
      signal: ctx.signal,
    });
  } catch (e) {
    if (isAbort(e, ctx.signal)) throw new DownloadCancelledError(ctx.baseUrl);
    throw new DownloadTruncatedError(url, start, rec.size, { cause: e });
  }
  if (!res.ok || !res.body) {
    res.body?.cancel().catch(() => {});
    const total = res.status === 416 ? Number(/\*\/(\d+)/.exec(res.headers.get('Content-Range') ?? '')?.[1] ?? NaN) : NaN;
    if (total < rec.size) throw new TruncatedFileError(url, total, rec.size);
    throw new ModelNotFoundError(url, `HTTP ${res.status} for "${rec.path}", which manifest.json lists`);
  }
  checkContent(url, res, rec.size);
  // Where the body starts in the file: the Content-Range start for a 206, 0 otherwise.
  let pos = res.status === 206 ? Number(/bytes\s+(\d+)-/.exec(res.headers.get('Content-Range') ?? '')?.[1] ?? start) : 0;
  if (pos > start) throw new DownloadTruncatedError(url, start, rec.size);
  const reader = res.body.getReader();
  let ci = first;
  let buf = new Uint8Array(chunkLength(rec, ci));
  let fill = 0;
  let chunkHash = new Sha256();
  try {
    while (pos < end) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (isAbort(e, ctx.signal)) throw new DownloadCancelledError(ctx.baseUrl);
        throw new DownloadTruncatedError(url, pos, rec.size, { cause: e });
      }
      if (r.done) {
        // A local file that ends early is short on disk; only a network stream can be resumed.
        if (isLocal(url)) throw new TruncatedFileError(url, pos, rec.size);
        throw new DownloadTruncatedError(url, pos, rec.size);
      }
      let v = r.value;
      if (pos < start) {
        const skip = Math.min(v.byteLength, start - pos);
        v = v.subarray(skip);
        pos += skip;
      }
      if (pos + v.byteLength > rec.size) {
        throw new IntegrityError(url, `${rec.size} bytes`, `more than ${rec.size} bytes`);
      }
      v = v.subarray(0, end - pos);
      while (v.byteLength > 0) {
        const n = Math.min(v.byteLength, buf.byteLength - fill);
        const piece = v.subarray(0, n);
        buf.set(piece, fill);
        fileHash.update(piece);
        chunkHash.update(piece);
        fill += n;
        pos += n;
        ctx.downloadedBytes += n;
        v = v.subarray(n);
        if (fill === buf.byteLength) {
          chunks[ci] = buf;
          rec.chunkHashes[ci] = chunkHash.digestHex();
          // The chunk and the record marking it are one atomic write: never marked before written.
          await ctx.write([
            [keys.chunk(ctx.id, rec.path, ci), buf],
            [keys.file(ctx.id, rec.path), structuredClone(rec)],
          ]);
          if (++ci < last) {
            buf = new Uint8Array(chunkLength(rec, ci));
            fill = 0;
            chunkHash = new Sha256();
          }
        }
        ctx.progress(rec.path, pos, rec.size, 'download', false, fill === 0);
        // One read can hold many chunks (a fast or buffered response): honour an abort between them.
        if (ctx.signal?.aborted) throw new DownloadCancelledError(ctx.baseUrl);
      }
    }
    // A full-file answer must end exactly at the manifest's size.
    if (end === rec.size && res.status === 200) {
      const tail = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (!tail.done && tail.value && tail.value.byteLength > 0) {
        throw new IntegrityError(url, `${rec.size} bytes`, `more than ${rec.size} bytes`);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
    await ctx.flushWrites();
  }
}

/** file: URLs (the CLI) and picked folders (store/local-files.ts) read from disk, not the network. */
function isLocal(url: string): boolean {
  return url.startsWith('file:') || url.startsWith('nextscale-local:');
}

/**
 * Refuse, before reading it, a response that cannot be the file: a web page (a server answering unknown
 * paths with its index.html), or a file whose stated length is shorter than the manifest's size.
 */
function checkContent(url: string, res: Response, size: number): void {
  const type = (res.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    res.body?.cancel().catch(() => {});
    throw new NotModelFileError(url, type);
  }
  const range = /\/(\d+)\s*$/.exec(res.headers.get('Content-Range') ?? '');
  const length = res.headers.get('Content-Length');
  const total = res.status === 206 ? Number(range?.[1] ?? NaN) : res.status === 200 && length !== null && !res.headers.get('Content-Encoding') ? Number(length) : NaN;
  if (total < size) {
    res.body?.cancel().catch(() => {});
    throw new TruncatedFileError(url, total, size);
  }
}
