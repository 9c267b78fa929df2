/**
 * `--text-features FILE.safetensors`: the prompt's text features for Infinity, one f32 tensor "features" of shape
 * [L, text width] (what `nextscale encode-text` writes; other tensors, such as "ids", are ignored).
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../api/errors';
import { parseSafetensors, tensorToF32 } from '../formats/safetensors';

export function readTextFeatures(file: string): { data: Float32Array; shape: [number, number] } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InvalidOptionError('text-features', file, `a readable .safetensors file (${(e as Error).message})`);
  }
  const t = parseSafetensors(file, bytes).tensors.get('features');
  if (!t || t.dtype !== 'F32' || t.shape.length !== 2) {
    throw new InvalidOptionError('text-features', file, 'a .safetensors file with one f32 tensor "features" of shape [L, text width]');
  }
  return { data: tensorToF32(bytes.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 }), shape: [t.shape[0], t.shape[1]] };
}
