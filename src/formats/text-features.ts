/**
 * Precomputed text features in a .safetensors file: one f32 tensor "features" of shape [L, width], the
 * text encoder's last hidden state for a prompt (what `nextscale encode-text` writes; other tensors, such
 * as "ids", are ignored). What Infinity models take as `generateImage({ textFeatures })`.
 */
import { InvalidOptionError } from '../api/errors';
import { parseSafetensors, tensorToF32 } from './safetensors';

export function textFeaturesFromSafetensors(bytes: Uint8Array, file = 'text features'): { data: Float32Array; shape: [number, number] } {
  const t = parseSafetensors(file, bytes).tensors.get('features');
  if (!t || t.dtype !== 'F32' || t.shape.length !== 2) {
    throw new InvalidOptionError('textFeatures', file, 'a .safetensors file with one f32 tensor "features" of shape [L, text width]');
  }
  return { data: tensorToF32(bytes.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 }), shape: [t.shape[0], t.shape[1]] };
}
