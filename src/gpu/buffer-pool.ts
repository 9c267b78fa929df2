/**
 * A pool of storage buffers bucketed by size, so that per-scale activations of changing sizes reuse
 * memory instead of allocating each step. It also counts live and peak bytes for the benchmarks.
 */
import { BufferTooLargeError } from '../api/errors';
import type { GpuLimits } from './limits';

// GPUBufferUsage values are fixed by the spec; spelled out so this file also loads where the
// global is missing (Node before "webgpu" installs its globals).
/** STORAGE | COPY_SRC | COPY_DST */
export const STORAGE_USAGE = 0x80 | 0x4 | 0x8;

/** Round a byte size up to its bucket: multiples of 256 B below 64 KiB, then steps of 1/8 of a power of two. */
export function bucketSize(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 256) * 256);
  if (b <= 65536) return b;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 8;
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private all = new Set<GPUBuffer>();
  liveBytes = 0;
  peakBytes = 0;
  /** Bytes of the buffers held free for reuse. */
  freeBytes = 0;

  constructor(
    private device: GPUDevice,
    private limits: GpuLimits,
  ) {}

  /** A storage buffer of at least `bytes` bytes (usage STORAGE|COPY_SRC|COPY_DST). Contents are undefined. */
  acquire(bytes: number, label = 'pooled'): GPUBuffer {
    if (bytes > this.limits.maxBufferSize) throw new BufferTooLargeError(label, bytes, 'maxBufferSize', this.limits.maxBufferSize);
    const size = Math.min(bucketSize(bytes), Math.max(bytes, Math.floor(this.limits.maxBufferSize / 4) * 4));
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.freeBytes -= size;
      this.liveBytes += size;
      this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
      return reused;
    }
    const buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
    this.sizes.set(buf, size);
    this.all.add(buf);
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buf;
  }

  /** Give a buffer back. Work already submitted that reads it stays valid: the queue orders it. */
  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) return; // not ours
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.freeBytes += size;
  }

  /** Destroy every buffer that is free (not the ones in use). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) {
      this.all.delete(b);
      b.destroy();
    }
    this.free.clear();
    this.freeBytes = 0;
  }

  destroyAll(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.clear();
    this.liveBytes = 0;
    this.freeBytes = 0;
  }

  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }
}
