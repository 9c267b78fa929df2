/**
 * Shape and buffer checks shared by the feature-map kernels (codebook gather, resizes, conv2d,
 * GroupNorm, upsample). Every failure names the kernel and the shapes, and is raised while
 * recording, so a bad call never turns into a GPU validation error or a silent wrong result.
 *
 * Buffers are bound as exact windows [offset, offset + needed) rather than whole, so one large
 * weight buffer holding a whole model can serve every layer even when it exceeds
 * maxStorageBufferBindingSize: only the window has to fit.
 */
import type { GpuContext } from '../gpu/device';
import { BufferTooLargeError, KernelShapeError, UnsupportedDtypeError } from '../api/errors';
import type { Binding } from '../gpu/recorder';

export type FeatureLayout = 'nchw' | 'tokens';
export type WeightDtype = 'f32' | 'f16';
export const WEIGHT_DTYPES: readonly WeightDtype[] = ['f32', 'f16'];

/** Storage-buffer offsets must be multiples of this (the WebGPU default of minStorageBufferOffsetAlignment). */
const OFFSET_ALIGN = 256;

export function checkDtype(kernel: string, dtype: string): WeightDtype {
  if (!(WEIGHT_DTYPES as readonly string[]).includes(dtype)) throw new UnsupportedDtypeError(kernel, dtype, WEIGHT_DTYPES);
  return dtype as WeightDtype;
}

export function checkLayout(kernel: string, layout: string): FeatureLayout {
  if (layout !== 'nchw' && layout !== 'tokens') throw new KernelShapeError(kernel, `layout "${layout}" is not one of nchw, tokens`);
  return layout;
}

/** Every dim a positive integer (offsets may be zero). */
export function checkDims(kernel: string, shapes: string, dims: Record<string, number>, allowZero: readonly string[] = []): void {
  for (const [k, v] of Object.entries(dims)) {
    const min = allowZero.includes(k) ? 0 : 1;
    if (!Number.isInteger(v) || v < min) throw new KernelShapeError(kernel, `${k}=${v} must be an integer ≥ ${min} (${shapes})`);
  }
}

/** Inputs and the output must be distinct buffers: WebGPU forbids a read binding aliasing a read_write one. */
export function checkNoAlias(kernel: string, out: GPUBuffer, inputs: Record<string, GPUBuffer | undefined>): void {
  for (const [k, b] of Object.entries(inputs)) {
    if (b === out) throw new KernelShapeError(kernel, `${k} and out are the same buffer; use a separate output (or the accumulate option)`);
  }
}

/**
 * Bind `elems` elements of `bytesPerElem` (4, or 2 for packed f16) starting at element
 * `elemOffset`. Returns the binding and the element offset relative to the bound window.
 */
export function bindWindow(
  ctx: GpuContext,
  kernel: string,
  shapes: string,
  what: string,
  buf: GPUBuffer,
  elems: number,
  elemOffset = 0,
  bytesPerElem: 2 | 4 = 4,
): { binding: Binding; offset: number } {
  if (!Number.isInteger(elemOffset) || elemOffset < 0) throw new KernelShapeError(kernel, `${what} offset ${elemOffset} must be an integer ≥ 0 (${shapes})`);
  const startByte = elemOffset * bytesPerElem;
  const endByte = Math.ceil(((elemOffset + elems) * bytesPerElem) / 4) * 4;
  if (endByte > buf.size) {
    throw new KernelShapeError(
      kernel,
      `${what} needs ${elems} elements at offset ${elemOffset} (${endByte} bytes) but its buffer holds ${buf.size} bytes (${shapes})`,
    );
  }
  const winStart = Math.floor(startByte / OFFSET_ALIGN) * OFFSET_ALIGN;
  const size = Math.max(4, endByte - winStart);
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (size > limit) throw new BufferTooLargeError(`${kernel}: ${what} (${shapes})`, size, 'maxStorageBufferBindingSize', limit);
  return { binding: { buffer: buf, offset: winStart, size: Math.min(size, buf.size - winStart) }, offset: (startByte - winStart) / bytesPerElem };
}
