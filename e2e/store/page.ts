// Browser side of the store tests: Playwright drives the store through window.__store and gets
// back plain (serializable) summaries.
import { createStore, get, set } from 'idb-keyval';
import {
  createIdbStorage,
  deleteCachedModel,
  listCachedModels,
  loadModelFiles,
  sha256Hex,
  storeDbName,
  type StoreProgress,
  type StoreStorage,
} from '../../src/store';

export const SCOPE = 'e2e';

export interface LoadRequest {
  chunkSize: number;
  /** Make every chunk write fail with a QuotaExceededError DOMException. */
  quotaOnChunks?: boolean;
  /** Abort through the AbortSignal once this many bytes of the model are loaded. */
  abortAfterBytes?: number;
}

export interface LoadSummary {
  ok: boolean;
  error?: { name: string; code?: string; message: string };
  id?: string;
  cached?: boolean;
  fromCache?: boolean;
  downloadedBytes?: number;
  note?: string;
  config?: unknown;
  /** Each file's path, size, chunk count and sha256 recomputed with SubtleCrypto from bytes(). */
  files?: { path: string; size: number; chunks: number; sha256: string }[];
  progress: StoreProgress[];
}

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const raw = () => createStore(storeDbName(SCOPE), 'kv');

function quotaStorage(inner: StoreStorage): StoreStorage {
  return {
    ...inner,
    async setMany(entries) {
      if (entries.some(([k]) => k.startsWith('c/'))) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return inner.setMany(entries);
    },
  };
}

const api = {
  async load(baseUrl: string, req: LoadRequest): Promise<LoadSummary> {
    const progress: StoreProgress[] = [];
    const ac = new AbortController();
    const base = createIdbStorage({ scope: SCOPE });
    try {
      const r = await loadModelFiles(baseUrl, {
        chunkSize: req.chunkSize,
        storage: req.quotaOnChunks ? quotaStorage(base) : base,
        progressIntervalMs: 0,
        signal: ac.signal,
        onProgress: (p) => {
          progress.push(p);
          if (req.abortAfterBytes !== undefined && p.loadedBytes >= req.abortAfterBytes) ac.abort();
        },
      });
      const files = [];
      for (const f of r.files.values()) {
        const digest = await crypto.subtle.digest('SHA-256', f.bytes());
        files.push({ path: f.path, size: f.size, chunks: f.chunks.length, sha256: hex(digest) });
      }
      const { id, cached, fromCache, downloadedBytes, note, config } = r;
      return { ok: true, id, cached, fromCache, downloadedBytes, note, config, files, progress };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { ok: false, error: { name: err.name, code: err.code, message: err.message }, progress };
    }
  },
  list: () => listCachedModels({ scope: SCOPE }),
  del: (id: string) => deleteCachedModel(id, { scope: SCOPE }),
  /** Flip the bytes of one stored chunk, as disk corruption would. */
  async corruptChunk(key: string): Promise<boolean> {
    const c = await get<Uint8Array>(key, raw());
    if (!c) return false;
    const bad = c.slice();
    for (let i = 0; i < bad.length; i += 997) bad[i] ^= 0xff;
    await set(key, bad, raw());
    return true;
  },
  async rawGet(key: string): Promise<unknown> {
    return get(key, raw());
  },
  async rawKeys(): Promise<string[]> {
    return (await createIdbStorage({ scope: SCOPE }).keysWithPrefix('')) as string[];
  },
  /** SHA-256 vectors, computed in the browser: [ours, SubtleCrypto] per input. */
  async shaVectors(): Promise<[string, string][]> {
    const inputs = [new Uint8Array(0), new TextEncoder().encode('abc'), new Uint8Array(1_000_000).fill(0x61)];
    for (const n of [55, 56, 63, 64, 65, 1000, 70_001]) inputs.push(Uint8Array.from({ length: n }, () => (Math.random() * 256) | 0));
    return Promise.all(inputs.map(async (d) => [sha256Hex(d), hex(await crypto.subtle.digest('SHA-256', d))] as [string, string]));
  },
};

declare global {
  interface Window {
    __store: typeof api;
  }
}
window.__store = api;
document.getElementById('log')!.textContent = 'store test page ready';
