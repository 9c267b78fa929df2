/** Listing and deleting cached models. A model is `complete` when every file is stored and verified. */
import type { CachedModel } from '../api/types';
import type { FileRecord } from './download';
import { parseManifest } from './manifest';
import { defaultStorage, keys, withModelLock, type StoreStorage } from './storage';

/** What the store remembers about one model version. */
export interface ModelRecord {
  id: string;
  model: string;
  baseUrl: string;
  /** The manifest's exact text (its hash is part of the id); used when the network is down. */
  manifestText: string;
  storedAt: number;
}

export interface CacheOptions {
  /** Default: IndexedDB for `scope`. */
  storage?: StoreStorage;
  scope?: string;
}

export async function listCachedModels(opts: CacheOptions = {}): Promise<CachedModel[]> {
  const s = opts.storage ?? defaultStorage(opts.scope);
  const out: CachedModel[] = [];
  for (const key of await s.keysWithPrefix('m/')) {
    const rec = await s.get<ModelRecord>(key);
    if (!rec) continue;
    const { manifest } = parseManifest(rec.manifestText, rec.baseUrl);
    let bytes = 0;
    let complete = true;
    for (const f of manifest.files) {
      const fr = await s.get<FileRecord>(keys.file(rec.id, f.path));
      fr?.chunkHashes.forEach((h, i) => h && (bytes += Math.min(fr.chunkSize, fr.size - i * fr.chunkSize)));
      complete &&= !!fr?.verified && fr.chunkHashes.every((h) => h);
    }
    out.push({ id: rec.id, model: rec.model, baseUrl: rec.baseUrl, bytes, files: manifest.files.length, complete, storedAt: rec.storedAt });
  }
  return out.sort((a, b) => b.storedAt - a.storedAt);
}

/** Delete a model version and every chunk it holds (waits for a load of it to finish). Unknown ids are a no-op. */
export async function deleteCachedModel(id: string, opts: CacheOptions = {}): Promise<void> {
  const s = opts.storage ?? defaultStorage(opts.scope);
  await withModelLock(id, undefined, () => deleteUnlocked(s, id));
}

async function deleteUnlocked(s: StoreStorage, id: string): Promise<void> {
  const rec = await s.get<ModelRecord>(keys.model(id));
  const doomed = [...(await s.keysWithPrefix(`c/${id}/`)), ...(await s.keysWithPrefix(`f/${id}/`)), keys.model(id)];
  if (rec && (await s.get<string>(keys.url(rec.baseUrl))) === id) doomed.push(keys.url(rec.baseUrl));
  // Chunks in batches: one transaction per few hundred keys keeps multi-GB deletes responsive.
  for (let i = 0; i < doomed.length; i += 256) await s.delMany(doomed.slice(i, i + 256));
}
