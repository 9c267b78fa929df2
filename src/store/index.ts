/** The model store: fetch with progress and resume, IndexedDB chunks, integrity, cache listing and eviction. */
export { loadModelFiles, DEFAULT_CHUNK_SIZE, type LoadModelFilesOptions, type LoadedModelFiles } from './load';
export { listCachedModels, deleteCachedModel, type CacheOptions } from './cache';
export type { StoreProgress } from './context';
export { ModelFile } from './model-file';
export { parseManifest, type Manifest, type ManifestFile } from './manifest';
export { createIdbStorage, storeDbName, STORE_SCHEMA_VERSION, type StoreStorage, type IdbStorageOptions } from './storage';
export { Sha256, sha256Hex } from './sha256';
