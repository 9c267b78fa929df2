/** Helpers shared by the feature-map kernel suites (codebook gather, resizes, conv2d, GroupNorm, upsample). */
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import { MismatchError } from './harness';

/** VAR's scale sizes (patch_nums). */
export const SCALES = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16] as const;

/**
 * A recorder whose context claims a tiny maxStorageBufferBindingSize, to test BufferTooLargeError
 * without allocating gigabytes. It is never submitted.
 */
export function tinyLimitRecorder(ctx: GpuContext, maxBindingBytes = 1024): Recorder {
  return new Recorder({ ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: maxBindingBytes } });
}

/** Run `body` (which records at several shapes) and fail if it compiled more than `allowed` new pipelines. */
export async function expectPipelineCount(ctx: GpuContext, label: string, allowed: number, body: () => Promise<void>): Promise<void> {
  const before = ctx.pipelines.compiled;
  await body();
  const n = ctx.pipelines.compiled - before;
  if (n > allowed) throw new MismatchError(`${label}: compiled ${n} pipelines across shapes, expected at most ${allowed} (shapes must travel in uniforms)`);
}

/** IEEE binary16 bits of `v` (round to nearest even), for packing f16 test weights. */
export function toF16Bits(v: number): number {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
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

export function fromF16Bits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * `values` as f16, packed two per u32 after `offset` leading halves (element e in the low half
 * of word e/2 when e is even). Returns the words and the values as the GPU will see them.
 */
export function packF16(values: ArrayLike<number>, offset = 0): { words: Uint32Array; decoded: Float64Array } {
  const words = new Uint32Array(Math.ceil((offset + values.length) / 2) + 1);
  const decoded = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const bits = toF16Bits(values[i]);
    decoded[i] = fromF16Bits(bits);
    const e = offset + i;
    words[e >> 1] |= e & 1 ? bits << 16 : bits;
  }
  return { words, decoded };
}
