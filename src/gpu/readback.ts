/**
 * Reading GPU buffers back to the CPU, for the backends and tests. Model families never read back:
 * they name their outputs and the engine's drivers read them (tools/check-layers.mjs enforces it).
 */
import type { GpuContext } from './device';

const MAP_READ_COPY_DST = 0x1 | 0x8;

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
