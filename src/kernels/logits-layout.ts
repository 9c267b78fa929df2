/**
 * The layout of logits the sampler and CFG combine read: `rows` rows `rowStride` elements apart,
 * the candidates at [colOffset, colOffset + V) of each row, and for CFG the unconditional rows
 * with the same layout starting `uncondOffset` elements in. Checks it against the device limits and the
 * buffer and returns the binding (only the bytes the kernel reads, so a larger buffer is fine).
 */
import type { GpuContext } from '../gpu/device';
import { BufferTooLargeError, KernelShapeError } from '../api/errors';

export interface LogitsLayout {
  rows: number;
  /** Candidates per row, in elements. */
  V: number;
  /** Elements between rows. */
  rowStride: number;
  /** First candidate inside a row, in elements (e.g. the image codes after the text words). */
  colOffset?: number;
  /** Element offset of the unconditional rows (CFG); undefined = no CFG. */
  uncondOffset?: number;
}

const u32 = (x: number | undefined): boolean => x === undefined || (Number.isInteger(x) && x >= 0 && x <= 0xffffffff);

export function checkLogits(ctx: GpuContext, kernel: string, logits: GPUBuffer, o: LogitsLayout): { buffer: GPUBuffer; size: number } {
  const col = o.colOffset ?? 0;
  const shape = `rows=${o.rows} V=${o.V} rowStride=${o.rowStride} colOffset=${col} uncondOffset=${o.uncondOffset ?? '-'}`;
  if (![o.rows, o.V, o.rowStride, col, o.uncondOffset].every(u32)) throw new KernelShapeError(kernel, `sizes must be non-negative integers (${shape})`);
  if (o.V < 1) throw new KernelShapeError(kernel, `V must be ≥ 1 (${shape})`);
  if (col + o.V > o.rowStride) throw new KernelShapeError(kernel, `candidates [colOffset, colOffset+V) overrun the row (${shape})`);
  const condEnd = Math.max(0, o.rows - 1) * o.rowStride + col + o.V;
  const end = o.uncondOffset === undefined ? condEnd : Math.max(condEnd, o.uncondOffset + condEnd);
  const max = ctx.limits.maxStorageBufferBindingSize;
  if (end * 4 > max) throw new BufferTooLargeError(`${kernel} logits (${shape})`, end * 4, 'maxStorageBufferBindingSize', max);
  if (end * 4 > logits.size) throw new KernelShapeError(kernel, `logits holds ${logits.size / 4} f32 but ${end} are read (${shape})`);
  return { buffer: logits, size: end * 4 };
}

/** A u32/f32 output range [offset, offset + n) of `buf`, checked, as a binding. */
export function checkOut(ctx: GpuContext, kernel: string, what: string, buf: GPUBuffer, offset: number, n: number): { buffer: GPUBuffer; size: number } {
  if (!u32(offset)) throw new KernelShapeError(kernel, `${what} offset must be a non-negative integer, got ${offset}`);
  const end = offset + n;
  const max = ctx.limits.maxStorageBufferBindingSize;
  if (end * 4 > max) throw new BufferTooLargeError(`${kernel} ${what}`, end * 4, 'maxStorageBufferBindingSize', max);
  if (end * 4 > buf.size) throw new KernelShapeError(kernel, `${what} holds ${buf.size / 4} elements but [${offset}, ${end}) is written`);
  return { buffer: buf, size: Math.max(4, end * 4) };
}
