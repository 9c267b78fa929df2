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

export { f32ToF16Bits as toF16Bits, f16BitsToF32 as fromF16Bits } from '../../src/formats/f16';
import { f32ToF16Bits as toF16Bits, f16BitsToF32 as fromF16Bits } from '../../src/formats/f16';

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
