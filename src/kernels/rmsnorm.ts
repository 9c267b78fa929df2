/** RMSNorm with a learned weight over the rows of x [R, C] (rmsnorm.wgsl), one workgroup per row. */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D } from './dispatch-geometry';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

export interface RmsNormArgs {
  R: number;
  C: number;
  /** f32 [R, C]. */
  x: TensorRef;
  /** f32 [C] at an element offset (e.g. inside a weight shard). */
  weight: TensorRef;
  /** f32 [R, C]; a buffer other than x's. */
  y: TensorRef;
  /** Default 1e-6 (Qwen2.5). */
  eps?: number;
}

const KERNEL = 'rmsnorm';

export function recordRmsNorm(rec: Recorder, a: RmsNormArgs): void {
  const { R, C } = a;
  const shapes = `x[${R},${C}] w[${C}] → y[${R},${C}]`;
  checkDims(KERNEL, shapes, { R, C });
  if (a.x.buffer === a.y.buffer || a.weight.buffer === a.y.buffer) throw new KernelShapeError(KERNEL, `y must not share a buffer with x or the weight (${shapes})`);
  const ctx = rec.ctx;
  const x = bindWindow(ctx, KERNEL, shapes, 'x', a.x.buffer, R * C, a.x.offset ?? 0);
  const w = bindWindow(ctx, KERNEL, shapes, 'weight', a.weight.buffer, C, a.weight.offset ?? 0);
  const y = bindWindow(ctx, KERNEL, shapes, 'y', a.y.buffer, R * C, a.y.offset ?? 0);
  const { WG, SQ } = tuning.rowNorm;
  const [nx, ny] = fold1D(R, ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'rmsnorm',
    defines: { WG, SQ },
    uniforms: { R, C, eps: a.eps ?? 1e-6, x_off: x.offset, w_off: w.offset, y_off: y.offset, nx },
    bindings: [x.binding, w.binding, y.binding],
    workgroups: [nx, ny],
    label: 'rmsnorm',
  });
}
