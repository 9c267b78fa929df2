/**
 * The key-value layer under the model store: IndexedDB through idb-keyval, one database per scope
 * and schema version. Injectable (tests simulate a full disk with it; other backends can be added).
 *
 * Keys (strings, so one prefix range finds everything of a model):
 *   m/<id>                 ModelRecord
 *   f/<id>/<path>          FileRecord
 *   c/<id>/<path>/<index>  one chunk (Uint8Array)
 *   u/<baseUrl>            id of the model last loaded from that URL (offline fallback)
 */
import { createStore, get, setMany, delMany, promisifyRequest, type UseStore } from 'idb-keyval';
import { StorageQuotaError, isQuotaError } from '../api/errors';

/** Bump when the record layout changes: old databases are then simply not read. */
export const STORE_SCHEMA_VERSION = 1;

export interface StoreStorage {
  get<T>(key: string): Promise<T | undefined>;
  /** Atomic: all entries are written or none (a chunk and the record marking it land together). */
  setMany(entries: [string, unknown][]): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  /** Every key starting with `prefix`, sorted. */
  keysWithPrefix(prefix: string): Promise<string[]>;
}

export interface IdbStorageOptions {
  /** Separates unrelated apps (or tests) on one origin. Default "nextscale". */
  scope?: string;
}

/** The database name for a scope: scoped and schema-versioned. */
export function storeDbName(scope = 'nextscale'): string {
  return `${scope}-models-v${STORE_SCHEMA_VERSION}`;
}

export function createIdbStorage(opts: IdbStorageOptions = {}): StoreStorage {
  let db: UseStore | undefined;
  const store = (): UseStore => (db ??= createStore(storeDbName(opts.scope), 'kv'));
  return {
    get: (key) => get(key, store()),
    async setMany(entries) {
      try {
        await setMany(entries, store());
      } catch (e) {
        throw isQuotaError(e) ? new StorageQuotaError({ cause: e }) : e;
      }
    },
    delMany: (keys) => delMany(keys, store()),
    keysWithPrefix: (prefix) =>
      store()('readonly', (s) =>
        promisifyRequest(s.getAllKeys(IDBKeyRange.bound(prefix, prefix + '\uffff'))).then((k) => k as string[]),
      ),
  };
}

const defaults = new Map<string, StoreStorage>();
/** One shared IndexedDB storage per scope. */
export function defaultStorage(scope = 'nextscale'): StoreStorage {
  let s = defaults.get(scope);
  if (!s) defaults.set(scope, (s = createIdbStorage({ scope })));
  return s;
}

export const keys = {
  model: (id: string) => `m/${id}`,
  file: (id: string, path: string) => `f/${id}/${path}`,
  chunk: (id: string, path: string, index: number) => `c/${id}/${path}/${index}`,
  url: (baseUrl: string) => `u/${baseUrl}`,
};

/**
 * Run `fn` holding the model's lock (Web Locks, shared by every tab and worker of the origin), so two
 * loads, or a load and a delete, of one model never interleave their writes. Without Web Locks it just runs.
 */
export function withModelLock<T>(id: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return fn();
  return locks.request(`nextscale-store:${id}`, signal ? { signal } : {}, fn) as Promise<T>;
}
