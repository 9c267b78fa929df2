/**
 * Load one file of a model: read the chunks held in storage, download the missing runs, and verify
 * the whole file's size and sha256 against the manifest in the same in-order pass. On a mismatch the
 * per-chunk hashes locate corrupted stored chunks and only those are fetched again (the whole file
 * if none is to blame); a file that still mismatches is dropped from storage and never returned.
 */
import type { LoadContext } from './context';
import { chunkLength, fetchRun, type FileRecord } from './download';
import { IntegrityError } from '../api/errors';
import type { ManifestFile } from './manifest';
import { ModelFile } from './model-file';
import { Sha256, sha256Hex } from './sha256';
import { keys } from './storage';

/** With 4 MiB chunks, files up to 64 GiB (the manifest's bound) keep their chunk size. */
export const MAX_CHUNKS = 16384;

export async function loadFile(ctx: LoadContext, mf: ManifestFile): Promise<{ file: ModelFile; stored: boolean }> {
  try {
    return await loadVerified(ctx, mf);
  } catch (e) {
    if (e instanceof IntegrityError) await dropFile(ctx, mf.path);
    throw e;
  }
}

async function loadVerified(ctx: LoadContext, mf: ManifestFile): Promise<{ file: ModelFile; stored: boolean }> {
  const url = new URL(mf.path, ctx.baseUrl).href;
  const rec = await readRecord(ctx, mf);
  const n = rec.chunkHashes.length;
  const chunks: (Uint8Array | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (!rec.chunkHashes[i]) continue;
    const data = await ctx.store((s) => s.get<Uint8Array>(keys.chunk(ctx.id, mf.path, i)));
    if (data instanceof Uint8Array && data.byteLength === chunkLength(rec, i)) chunks[i] = data;
    else rec.chunkHashes[i] = null; // evicted or unreadable: fetch it again
  }

  let actual = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const fetched = new Set<number>();
    const hash = new Sha256();
    let done = 0;
    for (let i = 0; i < n; ) {
      const held = chunks[i];
      if (held) {
        hash.update(held);
        done += held.byteLength;
        ctx.progress(mf.path, done, mf.size, 'verify', true);
        i++;
        continue;
      }
      let j = i;
      while (j < n && !chunks[j]) fetched.add(j++);
      await fetchRun(ctx, url, rec, chunks, i, j, hash);
      done = Math.min(j * rec.chunkSize, mf.size);
      i = j;
    }
    actual = hash.digestHex();
    if (actual === mf.sha256) {
      ctx.progress(mf.path, mf.size, mf.size, fetched.size ? 'download' : 'verify', fetched.size === 0, true);
      const stored = !!ctx.storage && rec.chunkHashes.every((h) => h);
      if (stored && !rec.verified) {
        rec.verified = true;
        await ctx.write([[keys.file(ctx.id, mf.path), structuredClone(rec)]]);
        await ctx.flushWrites();
      }
      const checked = stored && fetched.size === 0 && !!rec.valuesChecked;
      return { file: new ModelFile(mf.path, mf.size, mf.sha256, chunks as Uint8Array[], checked), stored: stored && !!ctx.storage };
    }
    // Blame stored chunks whose bytes no longer match the hash recorded when they were written.
    let bad = [...chunks.keys()].filter((i) => !fetched.has(i) && sha256Hex(chunks[i]!) !== rec.chunkHashes[i]);
    if (bad.length === 0) bad = [...chunks.keys()];
    for (const i of bad) {
      chunks[i] = undefined;
      rec.chunkHashes[i] = null;
    }
    rec.verified = false;
    await ctx.write([[keys.file(ctx.id, mf.path), structuredClone(rec)]]);
    await ctx.flushWrites();
  }
  throw new IntegrityError(url, `sha256 ${mf.sha256}`, `sha256 ${actual}`);
}

async function readRecord(ctx: LoadContext, mf: ManifestFile): Promise<FileRecord> {
  const rec = await ctx.store((s) => s.get<FileRecord>(keys.file(ctx.id, mf.path)));
  if (rec && rec.size === mf.size && rec.sha256 === mf.sha256 && rec.chunkSize > 0 && rec.chunkHashes.length === Math.ceil(mf.size / rec.chunkSize)) {
    return rec;
  }
  // At most MAX_CHUNKS chunks a file, whatever its size: no table grows with a size the manifest claims.
  const chunkSize = Math.max(ctx.chunkSize, Math.ceil(mf.size / MAX_CHUNKS));
  return { path: mf.path, size: mf.size, sha256: mf.sha256, chunkSize, chunkHashes: new Array(Math.ceil(mf.size / chunkSize)).fill(null), verified: false };
}

/** Remove a file that failed verification: its record and every chunk, so nothing half-used remains. */
export async function dropFile(ctx: LoadContext, path: string): Promise<void> {
  await ctx.flushWrites();
  await ctx.store(async (s) => {
    const chunkKeys = await s.keysWithPrefix(`${keys.chunk(ctx.id, path, 0).slice(0, -1)}`);
    await s.delMany([keys.file(ctx.id, path), ...chunkKeys]);
  });
}

/** Record that a stored file's weight values were checked (finite), so the next load skips the scan. */
export async function markValuesChecked(ctx: LoadContext, path: string): Promise<void> {
  const rec = await ctx.store((s) => s.get<FileRecord>(keys.file(ctx.id, path)));
  if (!rec || !rec.verified || rec.valuesChecked) return;
  await ctx.write([[keys.file(ctx.id, path), { ...rec, valuesChecked: true }]]);
  await ctx.flushWrites();
}
