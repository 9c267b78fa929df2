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

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bits of `v`, rounded to nearest even (overflow gives ±Inf, NaN stays NaN). */
export function f32ToF16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is still right
  return sign | h;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

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
