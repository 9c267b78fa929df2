/** Creating, uploading and reading back storage buffers. */
import type { GpuContext } from './device';
import { BufferTooLargeError } from '../api/errors';
import { STORAGE_USAGE } from './buffer-pool';

const MAP_READ_COPY_DST = 0x1 | 0x8;

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

/** Copy `byteLength` bytes of `buf` back to the CPU (one submit and one map). */
export async function readBuffer(ctx: GpuContext, buf: GPUBuffer, byteOffset = 0, byteLength?: number): Promise<ArrayBuffer> {
  const size = byteLength ?? buf.size - byteOffset;
  const staging = ctx.device.createBuffer({ size: Math.ceil(size / 4) * 4, usage: MAP_READ_COPY_DST, label: 'readback' });
  const enc = ctx.device.createCommandEncoder({ label: 'readback' });
  enc.copyBufferToBuffer(buf, byteOffset, staging, 0, Math.ceil(size / 4) * 4);
  ctx.device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x1 /* GPUMapMode.READ */);
  const out = staging.getMappedRange().slice(0, size);
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readF32(ctx: GpuContext, buf: GPUBuffer, count: number, offsetElems = 0): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, buf, offsetElems * 4, count * 4));
}

export async function readU32(ctx: GpuContext, buf: GPUBuffer, count: number, offsetElems = 0): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(ctx, buf, offsetElems * 4, count * 4));
}
