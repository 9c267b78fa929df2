/** Small helpers for kernel suites: upload inputs, record, submit, read back. */
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';
import { uploadBuffer, createStorageBuffer } from '../../src/gpu/buffers';
import { readF32, readU32 } from '../../src/gpu/readback';

export class TestBuffers {
  private owned: GPUBuffer[] = [];
  constructor(readonly ctx: GpuContext) {}
  upload(data: Float32Array | Uint32Array | Int32Array | Uint8Array | Uint16Array, label = 'test-in'): GPUBuffer {
    const b = uploadBuffer(this.ctx, data, label);
    this.owned.push(b);
    return b;
  }
  empty(elems: number, label = 'test-out'): GPUBuffer {
    const b = createStorageBuffer(this.ctx, elems * 4, label);
    this.owned.push(b);
    return b;
  }
  /** Record with `fn`, submit, and read `elems` f32 from `out`. */
  async run(fn: (rec: Recorder) => void): Promise<void> {
    const rec = new Recorder(this.ctx, 'test');
    fn(rec);
    rec.submit();
  }
  readF32(buf: GPUBuffer, elems: number, offset = 0): Promise<Float32Array> {
    return readF32(this.ctx, buf, elems, offset);
  }
  readU32(buf: GPUBuffer, elems: number, offset = 0): Promise<Uint32Array> {
    return readU32(this.ctx, buf, elems, offset);
  }
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned = [];
  }
}

/** Run a case body with a TestBuffers that is always cleaned up. */
export async function withBuffers(ctx: GpuContext, body: (t: TestBuffers) => Promise<void>): Promise<void> {
  const t = new TestBuffers(ctx);
  try {
    await body(t);
  } finally {
    t.destroy();
  }
}
