/**
 * `nextscale convert`: the official VAR checkpoints (var_dN.pth + vae_ch160v4096z32.pth, as published)
 * to a nextscale model folder, in TypeScript: the same keys, shapes, dtypes and shards as
 * tools/convert_var.py (f16 shards byte-identical), plus manifest.json.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bytesAccess, readPth } from '../formats/pth';
import { convertVarPth } from '../models/var/convert-pth';
import { sha256Hex } from '../store/sha256';
import { LocalModelError } from '../api/errors';
import type { ConvertArgs } from './args';

function readLocal(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new LocalModelError(`Cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}

export async function convertCommand(a: ConvertArgs): Promise<void> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  const t0 = performance.now();
  const src = (path: string) => bytesAccess(readLocal(path));
  const [varT, vaeT] = [await readPth(src(a.var), basename(a.var)), await readPth(src(a.vae), basename(a.vae))];
  const { config, files } = await convertVarPth(varT, vaeT, { dtype: a.dtype, name: a.name, varFile: basename(a.var), vaeFile: basename(a.vae), patchNums: a.patchNums });
  mkdirSync(a.out, { recursive: true });
  for (const f of readdirSync(a.out)) if (/^model-\d+\.safetensors$/.test(f)) rmSync(join(a.out, f)); // stale shards
  for (const [name, bytes] of files) writeFileSync(join(a.out, name), bytes);
  const list = [...files].sort(([x], [y]) => (x < y ? -1 : 1)).map(([path, b]) => ({ path, size: b.length, sha256: sha256Hex(b) }));
  const manifest = { format: 'nextscale-manifest', version: 1, model: config.name, files: list };
  writeFileSync(join(a.out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  const total = list.reduce((x, f) => x + f.size, 0);
  log(`${config.name}: ${list.length - 1} shard(s), ${(total / 2 ** 20).toFixed(1)} MB, dtype ${a.dtype}, in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${a.out}`);
}
