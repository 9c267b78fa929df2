/**
 * The kernel benchmark's registry types and timing. A file e2e/bench/<name>.bench.ts exports
 * `benches: BenchEntry[]`; the bench page collects every such file (see run-kernel-bench.ts).
 */
import type { GpuContext } from '../../src/gpu/device';
import { Recorder } from '../../src/gpu/recorder';

/** What a prepared benchmark can do: run `iters` iterations and wait until the GPU is done. */
export interface BenchRun {
  run(iters: number): Promise<void>;
  destroy(): void;
}

export type BenchRole = 'kernel' | 'naive' | 'ort' | 'roofline';

export interface BenchEntry {
  /** Kernel and variant, e.g. "linear.tiled.f16". */
  name: string;
  /** Entries with the same group (the shape, e.g. "M=1024 K=1024 N=1024") are compared. */
  group: string;
  /**
   * 'kernel' is ours; 'naive' and 'ort' are the baselines its ratios are taken against (same
   * group); 'roofline' entries measure the ALU peak that every figure is divided by.
   */
  role?: BenchRole;
  /** Floating-point operations per iteration (2·M·N·K for a matmul). */
  flops: number;
  /** Bytes that must be read per iteration (weights, for memory-bound kernels); gives GB/s. */
  bytes?: number;
  setup(ctx: GpuContext): Promise<BenchRun>;
}

export interface BenchResult {
  name: string;
  group: string;
  role: BenchRole;
  /** Best per-iteration time over the timed batches, ms. */
  ms: number;
  /** Median per-iteration time over the timed batches, ms. */
  medianMs: number;
  gflops: number;
  gbps?: number;
  batch: number;
  batches: number;
  error?: string;
}

/** A BenchRun that records `iters` dispatches into one command buffer, submits, and waits. */
export function dispatchRun(ctx: GpuContext, record: (rec: Recorder) => void, destroy: () => void): BenchRun {
  return {
    async run(iters) {
      const rec = new Recorder(ctx, 'bench');
      for (let i = 0; i < iters; i++) record(rec);
      rec.submit();
      await ctx.device.queue.onSubmittedWorkDone();
    },
    destroy,
  };
}

/**
 * One warm-up iteration (compiles pipelines), a second to size the batch to ~`targetMs`, then
 * `batches` timed batches (each one submit of `batch` dispatches, then onSubmittedWorkDone). The best batch is the figure (other processes share this CPU), the
 * median is kept too.
 */
export async function timeBench(r: BenchRun, opts: { targetMs: number; batches: number; maxBatch: number }): Promise<{ ms: number; medianMs: number; batch: number; batches: number }> {
  await r.run(1);
  let t0 = performance.now();
  await r.run(1);
  const one = performance.now() - t0;
  // Slow baselines (seconds per iteration) are timed by that one run alone.
  if (one > 4 * opts.targetMs) return { ms: one, medianMs: one, batch: 1, batches: 1 };
  const batch = Math.max(1, Math.min(opts.maxBatch, Math.round(opts.targetMs / Math.max(one, 1e-3))));
  const times: number[] = [];
  for (let b = 0; b < opts.batches; b++) {
    t0 = performance.now();
    await r.run(batch);
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return { ms: times[0], medianMs: times[Math.floor(times.length / 2)], batch, batches: opts.batches };
}
