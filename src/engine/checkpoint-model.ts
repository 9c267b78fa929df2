/**
 * A model given as official checkpoints, as published: VAR (var_dN.pth + vae_ch160v4096z32.pth) or Infinity
 * (infinity_125M_256x256.pth + infinity_vae_d32reg.pth; the family is told by the transformer's keys). The
 * first load reads both through HTTP Range requests (never whole), converts them tensor by tensor
 * (models/var/convert-pth.ts, models/infinity/convert-pth.ts) and hands the converted folder to the store, which checks and caches it like a
 * download; later loads come from the cache without a single request for the .pth files.
 */
import { loadModelFiles, sha256Hex, type LoadedModelFiles } from '../store';
import { rangeAccess } from '../store/range-access';
import { defaultVaeUrl, resolveCheckpointUrl } from '../store/model-url';
import { readPth } from '../formats/pth';
import { convertVarPth } from '../models/var/convert-pth';
import { convertInfinityPth, isInfinityCheckpoint } from '../models/infinity/convert-pth';
import { CancelledError } from '../api/errors';
import type { LoadModelOptions, LoadProgress } from '../api/types';

export interface CheckpointLoad {
  fetch: typeof globalThis.fetch;
  /** undefined: IndexedDB; null: no cache. */
  storage: null | undefined;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

/** The VAE an Infinity transformer is published with, when none is named. */
const DEFAULT_INFINITY_VAE = 'infinity_vae_d32reg.pth';

const fileName = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop() || url);

/** Serves the converted files (and their manifest) to the store as if from a server; Range honoured. */
function memoryFetch(base: string, files: Map<string, Uint8Array>): typeof globalThis.fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const f = url.startsWith(base) ? files.get(decodeURIComponent(url.slice(base.length))) : undefined;
    if (!f) return new Response('not found', { status: 404 });
    const m = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('range') ?? '');
    if (!m) return new Response(f as Uint8Array<ArrayBuffer>, { headers: { 'Content-Length': String(f.length) } });
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), f.length - 1) : f.length - 1;
    return new Response(f.subarray(start, end + 1) as Uint8Array<ArrayBuffer>, { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${f.length}` } });
  }) as typeof globalThis.fetch;
}

const notCached = (async () => {
  throw new TypeError('not in the cache');
}) as typeof globalThis.fetch;

export async function loadCheckpointModel(varSource: string, c: NonNullable<LoadModelOptions['checkpoint']>, o: CheckpointLoad): Promise<LoadedModelFiles> {
  const varUrl = resolveCheckpointUrl(varSource);
  const givenVae = c.vae ? resolveCheckpointUrl(c.vae) : undefined;
  // One cache entry per (files, dtype, schedule): the store keys it by this synthetic folder.
  const key = [varUrl, givenVae ?? 'default VAE', c.dtype ?? 'default dtype', c.scales?.join(',') ?? ''].join('\n');
  const base = `nextscale-pth://converted/${sha256Hex(new TextEncoder().encode(key))}/`;
  if (o.storage !== null) {
    try {
      return await loadModelFiles(base, { storage: o.storage, cacheFirst: true, fetch: notCached, signal: o.signal, onProgress: o.onProgress });
    } catch (e) {
      if (e instanceof CancelledError) throw e; // anything else: not (wholly) cached, so convert
    }
  }
  const sizes = [0, 0];
  const received = [0, 0];
  const report = (file: string) => () => {
    const total = sizes[0] + sizes[1];
    const loaded = received[0] + received[1];
    o.onProgress?.({ phase: 'download', file, loadedBytes: loaded, totalBytes: total, percent: total ? (100 * loaded) / total : 0, fromCache: false });
  };
  const open = async (url: string, i: number) => {
    const acc = await rangeAccess(url, { fetch: o.fetch, signal: o.signal, onBytes: (n, size) => ((received[i] = n), (sizes[i] = size), report(fileName(url))()) });
    sizes[i] = acc.size;
    return acc;
  };
  const varT = await readPth(await open(varUrl, 0), fileName(varUrl));
  const infinity = isInfinityCheckpoint(varT.map((t) => t.name));
  const vaeUrl = givenVae ?? (infinity ? new URL(DEFAULT_INFINITY_VAE, varUrl).href : defaultVaeUrl(varUrl));
  const vaeT = await readPth(await open(vaeUrl, 1), fileName(vaeUrl));
  const onTensor = (done: number, total: number) => {
    if (o.signal?.aborted) throw new CancelledError('Converting the checkpoint');
    o.onProgress?.({ phase: 'convert', loadedBytes: done, totalBytes: total, percent: (100 * done) / total, fromCache: false });
  };
  const { config, files } = infinity
    ? await convertInfinityPth(varT, vaeT, { dtype: c.dtype, modelFile: fileName(varUrl), vaeFile: fileName(vaeUrl), onTensor })
    : await convertVarPth(varT, vaeT, { dtype: c.dtype ?? 'f16', varFile: fileName(varUrl), vaeFile: fileName(vaeUrl), patchNums: c.scales, onTensor });
  const list = [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, b]) => ({ path, size: b.length, sha256: sha256Hex(b) }));
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ format: 'nextscale-manifest', version: 1, model: config.name, files: list }, null, 1) + '\n'));
  return loadModelFiles(base, { storage: o.storage, fetch: memoryFetch(base, files), signal: o.signal, onProgress: o.onProgress });
}
