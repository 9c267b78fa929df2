/**
 * Packing Linear weights W[N,K] (PyTorch layout, row-major) for the matmul kernels, and the exact
 * inverses the tests and CPU reference use. Rows are padded to whole 4-byte words with zeros, so
 * every row starts on a word and a shard can hold many tensors back to back.
 *   f16: kw = ceil(K/2) words per row; element 2i in the low 16 bits of word i (IEEE half, RNE).
 *   q8:  kw = ceil(K/4) words per row; element 4i in the low byte of word i (int8, symmetric,
 *        q = round(w / s), s = max|w| / 127 per group of Q8_GROUP elements along K);
 *        scales f32 [N, ceil(K/Q8_GROUP)].
 */
export type WeightDtype = 'f32' | 'f16' | 'q8';
export const WEIGHT_DTYPES: readonly WeightDtype[] = ['f32', 'f16', 'q8'];
/** Elements of K that share one q8 scale. The shaders assume 32 (j / 8 words). */
export const Q8_GROUP = 32;

/** 4-byte words per packed W row. */
export function wordsPerRow(dtype: WeightDtype, K: number): number {
  return dtype === 'f32' ? K : dtype === 'f16' ? Math.ceil(K / 2) : Math.ceil(K / 4);
}

/** q8 scale groups per W row. */
export const scaleGroups = (K: number): number => Math.ceil(K / Q8_GROUP);

export { f32ToF16Bits, f16BitsToF32 } from '../formats/f16';
import { f32ToF16Bits, f16BitsToF32 } from '../formats/f16';

/** W f32 [N,K] → f16 pairs, [N, ceil(K/2)] u32. */
export function packF16(w: Float32Array, N: number, K: number): Uint32Array {
  const kw = wordsPerRow('f16', K);
  const out = new Uint32Array(N * kw);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const h = f32ToF16Bits(w[n * K + k]);
      out[n * kw + (k >> 1)] |= (k & 1 ? h << 16 : h) >>> 0;
    }
  }
  return out;
}

/** The f32 values the kernel sees for packF16 weights, [N,K]. */
export function unpackF16(packed: Uint32Array, N: number, K: number): Float32Array {
  const kw = wordsPerRow('f16', K);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const word = packed[n * kw + (k >> 1)];
      out[n * K + k] = f16BitsToF32(k & 1 ? word >>> 16 : word & 0xffff);
    }
  }
  return out;
}

export interface Q8Weights {
  /** [N, ceil(K/4)] words, 4 int8 each. */
  words: Uint32Array;
  /** [N, ceil(K/32)] f32. */
  scales: Float32Array;
}

/** W f32 [N,K] → symmetric int8 with one f32 scale per 32 elements along K. */
export function quantizeQ8(w: Float32Array, N: number, K: number): Q8Weights {
  const kw = wordsPerRow('q8', K);
  const G = scaleGroups(K);
  const words = new Uint32Array(N * kw);
  const scales = new Float32Array(N * G);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const k1 = Math.min(K, (g + 1) * Q8_GROUP);
      let amax = 0;
      for (let k = g * Q8_GROUP; k < k1; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
      const s = Math.fround(amax / 127);
      scales[n * G + g] = s;
      for (let k = g * Q8_GROUP; k < k1; k++) {
        const q = s === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(w[n * K + k] / s)));
        words[n * kw + (k >> 2)] |= ((q & 0xff) << (8 * (k & 3))) >>> 0;
      }
    }
  }
  return { words, scales };
}

/** The f32 values the kernel sees for quantizeQ8 weights, [N,K]. */
export function dequantizeQ8(q: Q8Weights, N: number, K: number): Float32Array {
  const kw = wordsPerRow('q8', K);
  const G = scaleGroups(K);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const byte = (q.words[n * kw + (k >> 2)] >>> (8 * (k & 3))) & 0xff;
      out[n * K + k] = (byte > 127 ? byte - 256 : byte) * q.scales[n * G + (k >> 5)];
    }
  }
  return out;
}
