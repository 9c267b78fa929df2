/**
 * Typed errors of the model store: one class per failure, each message says what to do.
 * All derive from NextscaleError, so callers can branch on `instanceof` or on `code`.
 */
import { NextscaleError } from '../gpu/errors';
import { CancelledError } from '../engine/errors';

export { NextscaleError } from '../gpu/errors';

/** manifest.json could not be fetched: 404, another HTTP error, or the network is down. */
export class ModelNotFoundError extends NextscaleError {
  constructor(
    readonly url: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'E_MODEL_NOT_FOUND',
      `No model at ${url} (${detail}). Check the model URL (it must be a folder holding manifest.json), ` +
        'that the server is running and reachable, and that it allows this origin (CORS).',
      options,
    );
  }
}

/** manifest.json (or config.json) is not valid JSON or lacks required fields. */
export class ManifestError extends NextscaleError {
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(
      'E_MANIFEST',
      `Invalid model manifest at ${url}: ${detail}. Regenerate manifest.json with the export tool ` +
        '(see docs/manifest.md for the format).',
    );
  }
}

/** A response ended before the bytes the manifest lists (connection dropped, server cut it short). */
export class DownloadTruncatedError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly receivedBytes: number,
    readonly expectedBytes: number,
    options?: { cause?: unknown },
  ) {
    super(
      'E_DOWNLOAD_TRUNCATED',
      `Download of ${url} stopped at byte ${receivedBytes} of ${expectedBytes}. ` +
        'Check the network connection and load the model again: the chunks already stored are kept and the download resumes.',
      options,
    );
  }
}

/** A file's size or sha256 does not match the manifest, even after fetching it again. */
export class IntegrityError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'E_INTEGRITY',
      `${url} does not match its manifest (expected ${expected}, got ${actual}) even after fetching it again; ` +
        'it was not used or cached. The server holds a different file than manifest.json lists: re-export or re-upload the model.',
    );
  }
}

/** The browser's storage quota is exhausted. The loader catches it and runs from memory. */
export class StorageQuotaError extends NextscaleError {
  constructor(options?: { cause?: unknown }) {
    super(
      'E_STORAGE_QUOTA',
      'Browser storage quota exceeded. Delete cached models (listCachedModels / deleteCachedModel) or free disk space; ' +
        'until then the model runs from memory and is downloaded again on the next visit.',
      options,
    );
  }
}

/** The load was cancelled through its AbortSignal. Completed chunks stay stored; loading again resumes. */
export class DownloadCancelledError extends CancelledError {
  constructor(readonly url: string) {
    super(`Loading the model at ${url}`);
    this.message += ' The chunks already downloaded are kept; load it again to resume.';
  }
}

/** True for a QuotaExceededError from IndexedDB (a DOMException, possibly wrapped). */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageQuotaError) return true;
  const x = e as { name?: string; code?: number; inner?: unknown } | null;
  return !!x && (x.name === 'QuotaExceededError' || x.code === 22 || (!!x.inner && isQuotaError(x.inner)));
}
