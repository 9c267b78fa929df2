/** Parse and validate manifest.json (docs/manifest.md) and derive the model's cache identity. */
import { ManifestError } from '../api/errors';
import { sha256Hex } from './sha256';

export interface ManifestFile {
  /** Relative to the model folder; never absolute, never with "..". */
  path: string;
  size: number;
  /** 64 lowercase hex digits. */
  sha256: string;
}

export interface Manifest {
  format: 'nextscale-manifest';
  version: 1;
  model: string;
  files: ManifestFile[];
}

export interface ParsedManifest {
  manifest: Manifest;
  /** `model@sha256(manifest bytes)`: a new version of a model never reads an old version's chunks. */
  id: string;
  /** The raw bytes, kept so a cached copy hashes to the same id. */
  text: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/**
 * Bounds of the format (docs/manifest.md). 64 GiB a file is far above any model this runtime can hold
 * in memory, and keeps every per-file table (one hash per stored chunk) small whatever a manifest claims.
 */
export const MAX_FILE_BYTES = 2 ** 36;
export const MAX_FILES = 4096;
export const MAX_PATH_CHARS = 1024;
export const MAX_MODEL_NAME_CHARS = 256;

export function parseManifest(text: string, url: string): ParsedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(url, `not valid JSON (${(e as Error).message})`);
  }
  const m = raw as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ManifestError(url, 'the top level is not a JSON object');
  if (m.format !== 'nextscale-manifest') throw new ManifestError(url, `"format" is ${JSON.stringify(m.format)}, expected "nextscale-manifest"`);
  if (m.version !== 1) throw new ManifestError(url, `"version" is ${JSON.stringify(m.version)}; this runtime reads version 1`);
  if (typeof m.model !== 'string' || !m.model.trim()) throw new ManifestError(url, '"model" must be a non-empty string');
  if (m.model.length > MAX_MODEL_NAME_CHARS) throw new ManifestError(url, `"model" is ${m.model.length} characters; the format allows ${MAX_MODEL_NAME_CHARS}`);
  if (!Array.isArray(m.files) || m.files.length === 0) throw new ManifestError(url, '"files" must be a non-empty array');
  if (m.files.length > MAX_FILES) throw new ManifestError(url, `"files" lists ${m.files.length} files; the format allows ${MAX_FILES}`);
  const seen = new Set<string>();
  m.files.forEach((f, i) => {
    const where = `files[${i}]`;
    if (!f || typeof f !== 'object') throw new ManifestError(url, `${where} is not an object`);
    const { path, size, sha256 } = f;
    if (typeof path !== 'string' || !path) throw new ManifestError(url, `${where}.path must be a non-empty string`);
    if (path.length > MAX_PATH_CHARS) throw new ManifestError(url, `${where}.path is ${path.length} characters; the format allows ${MAX_PATH_CHARS}`);
    if (path.startsWith('/') || path.includes('\\') || /^[a-z][a-z0-9+.-]*:/i.test(path) || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new ManifestError(url, `${where}.path "${path}" must be a plain relative path inside the model folder (no "..", ".", leading "/", or URL)`);
    }
    if (path === 'manifest.json') throw new ManifestError(url, `${where}: the manifest must not list itself`);
    if (seen.has(path)) throw new ManifestError(url, `${where}.path "${path}" is listed twice`);
    seen.add(path);
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new ManifestError(url, `${where}.size must be a non-negative integer (bytes)`);
    if ((size as number) > MAX_FILE_BYTES) throw new ManifestError(url, `${where}.size is ${size} bytes; the format allows at most ${MAX_FILE_BYTES} (64 GiB) a file`);
    if (typeof sha256 !== 'string' || !HEX64.test(sha256)) throw new ManifestError(url, `${where}.sha256 must be 64 lowercase hex digits`);
  });
  const manifest: Manifest = {
    format: 'nextscale-manifest',
    version: 1,
    model: m.model,
    files: m.files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
  };
  return { manifest, text, id: `${m.model}@${sha256Hex(new TextEncoder().encode(text))}` };
}
