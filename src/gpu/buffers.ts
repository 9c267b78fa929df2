/** Creating, uploading and reading back storage buffers. */
import type { GpuContext } from './device';
import { BufferTooLargeError } from '../api/errors';
import { STORAGE_USAGE } from './buffer-pool';

/** A dedicated storage buffer (not pooled), for weights and caches. Size rounds up to 4 bytes. */
export function createStorageBuffer(ctx: GpuContext, bytes: number, label = 'storage'): GPUBuffer {
  if (bytes > ctx.limits.maxBufferSize) throw new BufferTooLargeError(label, bytes, 'maxBufferSize', ctx.limits.maxBufferSize);
  return ctx.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: STORAGE_USAGE, label });
}

/** A new storage buffer holding `data`. */
export function uploadBuffer(ctx: GpuContext, data: ArrayBufferView, label = 'upload'): GPUBuffer {
  const buf = createStorageBuffer(ctx, data.byteLength, label);
  writeBuffer(ctx, buf, data);
  return buf;
}

/** queue.writeBuffer with the 4-byte size rule handled (pads the tail). */
export function writeBuffer(ctx: GpuContext, buf: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 === 0) {
    ctx.device.queue.writeBuffer(buf, byteOffset, bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } else {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    ctx.device.queue.writeBuffer(buf, byteOffset, padded.buffer, 0, padded.byteLength);
  }
}
