/**
 * loadModelFiles(): fetch a model folder (manifest, config, weights) with byte progress, keep it in
 * IndexedDB in chunks, resume interrupted downloads, verify every file before returning it, and
 * load a second visit from storage with no weight request. Storage failures (quota) never fail a
 * load: it goes on from memory and says so in `note`.
 */
import { type StoreProgress, LoadContext } from './context';
import { type ModelRecord } from './cache';
import { isAbort } from './download';
import { DownloadCancelledError, ManifestError, ModelNotFoundError } from '../api/errors';
import { loadFile, markValuesChecked } from './file-loader';
import { type Manifest, parseManifest, type ParsedManifest } from './manifest';
import type { ModelFile } from './model-file';
import { defaultStorage, keys, withModelLock, type StoreStorage } from './storage';

/** 4 MiB: big enough for few IndexedDB transactions, small enough that hashing one chunk is a short task. */
export const DEFAULT_CHUNK_SIZE = 4 << 20;

export interface LoadModelFilesOptions {
  onProgress?: (p: StoreProgress) => void;
  signal?: AbortSignal;
  /** Default: globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Default: IndexedDB (idb-keyval) for `scope`; null: do not cache at all. */
  storage?: StoreStorage | null;
  scope?: string;
  /** Bytes per stored chunk for new downloads (default 4 MiB); a partial download keeps its own. */
  chunkSize?: number;
  /** Minimum time between progress events (default 50 ms); file ends always report. */
  progressIntervalMs?: number;
  /**
   * Use the stored manifest without asking the server (default false: revalidate). For models the store
   * made itself (a converted checkpoint), which no server holds.
   */
  cacheFirst?: boolean;
}

export interface LoadedModelFiles {
  /** `model@sha256(manifest)`, the key of listCachedModels()/deleteCachedModel(). */
  id: string;
  baseUrl: string;
  manifest: Manifest;
  /** config.json parsed, when the manifest lists it. */
  config?: unknown;
  /** Every listed file, verified against the manifest, by path. */
  files: Map<string, ModelFile>;
  /** Every file is stored in IndexedDB, so the next visit needs no weight request. */
  cached: boolean;
  /** No byte of any file came from the network in this load. */
  fromCache: boolean;
  downloadedBytes: number;
  /** Why the model is not cached, or that the cached manifest was used offline. */
  note?: string;
  /**
   * Record, in the cache, that every file's weight values were found finite (call it once a model built
   * from these files loaded), so a cached load skips that scan. Storage failures are ignored.
   */
  markValuesChecked(): Promise<void>;
}

export async function loadModelFiles(baseUrl: string, opts: LoadModelFilesOptions = {}): Promise<LoadedModelFiles> {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, globalThis.location?.href).href;
  const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const storage = opts.storage === undefined ? defaultStorage(opts.scope) : opts.storage;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1024) throw new RangeError(`chunkSize must be an integer >= 1024 bytes, got ${chunkSize}`);
  opts.onProgress?.({ phase: 'manifest', loadedBytes: 0, totalBytes: 0, percent: 0, fromCache: false });

  const cached = opts.cacheFirst ? await cachedManifest(base, storage) : undefined;
  const { parsed, offline } = cached ? { parsed: cached, offline: undefined } : await fetchManifest(base, fetchFn, storage, opts.signal);
  const { manifest, id } = parsed;
  const total = manifest.files.reduce((a, f) => a + f.size, 0);
  const ctx = new LoadContext(id, base, fetchFn, storage, chunkSize, total, opts.signal, opts.onProgress, opts.progressIntervalMs ?? 50);
  if (storage) void requestPersistence();
  try {
    return await withModelLock(id, opts.signal, () => loadAll(ctx, parsed, offline, storage === null));
  } catch (e) {
    if (isAbort(e, opts.signal)) throw new DownloadCancelledError(base);
    throw e;
  }
}

async function loadAll(ctx: LoadContext, parsed: ParsedManifest, offline: string | undefined, disabled: boolean): Promise<LoadedModelFiles> {
  const { manifest, id } = parsed;
  const base = ctx.baseUrl;
  const total = ctx.totalBytes;
  const signal = ctx.signal;

  const prev = await ctx.store((s) => s.get<ModelRecord>(keys.model(id)));
  const rec: ModelRecord = { id, model: manifest.model, baseUrl: base, manifestText: parsed.text, storedAt: prev?.storedAt ?? Date.now() };
  await ctx.write([[keys.model(id), rec], [keys.url(base), id]]);

  // config.json first: callers (and a human watching the bar) learn what the model is before the weights.
  const order = [...manifest.files].sort((a, b) => Number(b.path === 'config.json') - Number(a.path === 'config.json'));
  const files = new Map<string, ModelFile>();
  let allStored = true;
  for (const mf of order) {
    if (signal?.aborted) throw new DownloadCancelledError(base);
    const { file, stored } = await loadFile(ctx, mf);
    files.set(mf.path, file);
    allStored &&= stored;
  }
  await ctx.flushWrites();

  let config: unknown;
  const cfg = files.get('config.json');
  if (cfg) {
    try {
      config = cfg.json();
    } catch (e) {
      throw new ManifestError(new URL('config.json', base).href, `config.json is not valid JSON (${(e as Error).message})`);
    }
  }
  const cached = allStored && !!ctx.storage;
  const notes: string[] = [];
  if (offline) notes.push(`The server could not be reached (${offline}); using the cached manifest.`);
  if (!cached) notes.push(await memoryNote(ctx, disabled));
  ctx.emit({ phase: 'ready', loadedBytes: total, totalBytes: total, percent: 100, fromCache: ctx.downloadedBytes === 0 });
  return {
    id,
    baseUrl: base,
    manifest,
    config,
    files: new Map([...manifest.files].map((f) => [f.path, files.get(f.path)!])),
    cached,
    fromCache: ctx.downloadedBytes === 0,
    downloadedBytes: ctx.downloadedBytes,
    note: notes.length ? notes.join(' ') : undefined,
    markValuesChecked: async () => {
      if (!cached) return;
      for (const f of manifest.files) if (!files.get(f.path)!.valuesChecked) await markValuesChecked(ctx, f.path).catch(() => undefined);
    },
  };
}

/** Revalidate manifest.json; when the network (not the model) is gone, fall back to the cached copy. */
async function fetchManifest(
  base: string,
  fetchFn: typeof globalThis.fetch,
  storage: StoreStorage | null,
  signal: AbortSignal | undefined,
): Promise<{ parsed: ParsedManifest; offline?: string }> {
  const url = new URL('manifest.json', base).href;
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(url, { cache: 'no-cache', signal });
    if (res.ok) text = await res.text();
  } catch (e) {
    if (isAbort(e, signal)) throw new DownloadCancelledError(base);
    const cached = await cachedManifest(base, storage);
    if (cached) return { parsed: cached, offline: `network error: ${(e as Error).message}` };
    throw new ModelNotFoundError(url, `network error: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) {
    // 404/410 mean the model is gone; anything else (5xx) is the server's trouble: use the cache if any.
    const cached = res.status === 404 || res.status === 410 ? undefined : await cachedManifest(base, storage);
    if (cached) return { parsed: cached, offline: `HTTP ${res.status}` };
    throw new ModelNotFoundError(url, `HTTP ${res.status}${res.status === 404 ? ' Not Found' : ''}`);
  }
  // A single-page-app server answers every unknown path with its index.html: that is "no model here".
  const type = (res.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/html' || /^\s*<(!doctype|html|head|body)/i.test(text!)) {
    throw new ModelNotFoundError(url, `the server answered with an HTML page (${type || 'no content type'}), not manifest.json: nothing is at that path, and the server sends its index page instead`);
  }
  return { parsed: parseManifest(text!, url) };
}

async function cachedManifest(base: string, storage: StoreStorage | null): Promise<ParsedManifest | undefined> {
  try {
    const id = await storage?.get<string>(keys.url(base));
    const rec = id ? await storage?.get<ModelRecord>(keys.model(id)) : undefined;
    return rec ? parseManifest(rec.manifestText, new URL('manifest.json', base).href) : undefined;
  } catch {
    return undefined;
  }
}

let persistence: Promise<boolean> | undefined;
/** Ask once per page for persistent storage, so the browser does not evict GBs of weights under pressure. */
function requestPersistence(): Promise<boolean> {
  const s = globalThis.navigator?.storage;
  return (persistence ??= (async () => (s?.persisted && (await s.persisted())) || (s?.persist ? await s.persist() : false))().catch(() => false));
}

async function memoryNote(ctx: LoadContext, disabled: boolean): Promise<string> {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  if (disabled) return 'Caching is disabled (storage: null); running from memory.';
  const f = ctx.storageFailure;
  if (!f) return 'Not every file could be cached; running from memory.';
  let usage = '';
  try {
    const e = await navigator.storage?.estimate?.();
    if (e?.quota) usage = ` (${mb(e.usage ?? 0)} used of ${mb(e.quota)} this site may use)`;
  } catch {
    /* the estimate is only for the note */
  }
  const what = f.quota ? `Browser storage quota exceeded${usage}` : `Browser storage failed (${(f.error as Error)?.message ?? f.error})${usage}`;
  return `${what}; running from memory: the model (${mb(ctx.totalBytes)}) will be downloaded again on the next visit. Delete unused cached models or free disk space to cache it.`;
}
