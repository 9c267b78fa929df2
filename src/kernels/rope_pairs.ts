/**
 * Rotary position embedding from a cos/sin table, in place on q or k [B, T, H, D] (rope_pairs.wgsl),
 * interleaved pairs (2p, 2p+1): Infinity's 2D RoPE, whose angles (row or column of each token on the
 * schedule's RoPE grid) are made on the host by models/infinity/schedule.ts ropeTables.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D, ceilDiv } from './dispatch-geometry';
import { stridedElems } from './kv_append';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

export interface RopePairsArgs {
  /** f32 [B, T, H, D], rotated in place: token rows of `stride` elements (default H·D). */
  x: TensorRef;
  B: number;
  T: number;
  H: number;
  /** Head dim (even). */
  D: number;
  stride?: number;
  /** f32 [T, D/2, 2]: (cos, sin) of pair p of token t, shared by the batch and the heads. */
  table: TensorRef;
}

const KERNEL = 'rope_pairs';

/** (cos, sin) tables of separate arrays [T, D/2] interleaved into the kernel's [T, D/2, 2]. */
export function interleaveCosSin(cos: Float32Array, sin: Float32Array): Float32Array {
  const out = new Float32Array(2 * cos.length);
  for (let i = 0; i < cos.length; i++) {
    out[2 * i] = cos[i];
    out[2 * i + 1] = sin[i];
  }
  return out;
}

export function recordRopePairs(rec: Recorder, a: RopePairsArgs): void {
  const { B, T, H, D } = a;
  const stride = a.stride ?? H * D;
  const shapes = `x[${B},${T},${H},${D}] table[${T},${D / 2},2]`;
  checkDims(KERNEL, shapes, { B, T, H, D, stride });
  if (D % 2 !== 0) throw new KernelShapeError(KERNEL, `head dim D=${D} must be even (${shapes})`);
  if (stride < H * D) throw new KernelShapeError(KERNEL, `stride=${stride} must be ≥ H·D = ${H * D} (${shapes})`);
  if (a.table.buffer === a.x.buffer) throw new KernelShapeError(KERNEL, `table and x are the same buffer (${shapes})`);
  const ctx = rec.ctx;
  const x = bindWindow(ctx, KERNEL, shapes, 'x', a.x.buffer, stridedElems(B * T, stride, H * D), a.x.offset ?? 0);
  const t = bindWindow(ctx, KERNEL, shapes, 'table', a.table.buffer, T * D, a.table.offset ?? 0);
  const { WG } = tuning.rope;
  const [nx, ny] = fold1D(ceilDiv((B * T * H * D) / 2, WG), ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: KERNEL,
    defines: { WG },
    uniforms: { B, T, H, D, stride, x_off: x.offset, t_off: t.offset, nx },
    bindings: [x.binding, t.binding],
    workgroups: [nx, ny],
    label: KERNEL,
  });
}
