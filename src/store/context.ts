/**
 * State shared by the files of one load: where to fetch, where to store (or not: memory mode after
 * a storage failure), progress accounting, and the single in-flight chunk write.
 */
import type { LoadProgress } from '../api/types';
import { isQuotaError } from '../api/errors';
import type { StoreStorage } from './storage';

/** Progress of a load. `loadedBytes`/`totalBytes`/`percent` cover the whole model. */
export interface StoreProgress extends LoadProgress {
  phase: 'manifest' | 'download' | 'verify' | 'ready';
  fileLoadedBytes?: number;
  fileTotalBytes?: number;
}

export class LoadContext {
  /** null once storage failed (quota, IndexedDB unavailable): the rest of the load runs from memory. */
  storage: StoreStorage | null;
  storageFailure?: { quota: boolean; error: unknown };
  downloadedBytes = 0;
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly fileDone = new Map<string, number>();
  private loaded = 0;
  private lastEmit = -Infinity;

  constructor(
    readonly id: string,
    readonly baseUrl: string,
    readonly fetch: typeof globalThis.fetch,
    storage: StoreStorage | null,
    readonly chunkSize: number,
    readonly totalBytes: number,
    readonly signal: AbortSignal | undefined,
    private readonly onProgress: ((p: StoreProgress) => void) | undefined,
    private readonly progressIntervalMs: number,
  ) {
    this.storage = storage;
  }

  /** Run a storage operation; on failure switch to memory mode and return undefined. */
  async store<T>(op: (s: StoreStorage) => Promise<T>): Promise<T | undefined> {
    const s = this.storage;
    if (!s) return undefined;
    try {
      return await op(s);
    } catch (error) {
      this.storage = null;
      this.storageFailure ??= { quota: isQuotaError(error), error };
      return undefined;
    }
  }

  /** Queue an atomic write after the previous one (one write in flight while the next chunk downloads). */
  async write(entries: [string, unknown][]): Promise<void> {
    await this.lastWrite;
    this.lastWrite = this.store((s) => s.setMany(entries)).then(() => undefined);
  }

  flushWrites(): Promise<void> {
    return this.lastWrite;
  }

  /** Account `fileBytes` done of `file` (never goes back, so a re-fetch does not rewind the bar). */
  progress(file: string, fileBytes: number, fileTotal: number, phase: StoreProgress['phase'], fromCache: boolean, force = false): void {
    const prev = this.fileDone.get(file) ?? 0;
    if (fileBytes > prev) {
      this.fileDone.set(file, fileBytes);
      this.loaded += fileBytes - prev;
    }
    const now = performance.now();
    if (!this.onProgress || (!force && now - this.lastEmit < this.progressIntervalMs)) return;
    this.lastEmit = now;
    this.onProgress({
      phase,
      file,
      loadedBytes: this.loaded,
      totalBytes: this.totalBytes,
      percent: this.totalBytes ? (100 * this.loaded) / this.totalBytes : 100,
      fromCache,
      fileLoadedBytes: Math.max(prev, fileBytes),
      fileTotalBytes: fileTotal,
    });
  }

  emit(p: StoreProgress): void {
    this.onProgress?.(p);
  }
}
