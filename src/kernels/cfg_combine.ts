/**
 * Classifier-free guidance on logits, materialised: out = (1 + t)·cond − t·uncond. The sampler
 * applies CFG inline; this kernel is for callers that need the combined logits (goldens compare them).
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { checkLogits, checkOut } from './logits-layout';
import { ceilDiv, fold1D } from './dispatch-geometry';
import { tuning } from './tuning';

export interface CfgCombineOptions {
  rows: number;
  /** Candidates per row, in elements. */
  V: number;
  /** Elements between input rows. */
  rowStride: number;
  /** First candidate inside an input row. */
  colOffset?: number;
  /** Element offset of the unconditional rows in `logits`. */
  uncondOffset: number;
  /** Guidance t. */
  guidance: number;
  /** Element offset of out[0, 0]; out rows are dense (V apart). */
  outOffset?: number;
}

/** out[outOffset + r·V + c] = (1 + t)·cond[r, c] − t·uncond[r, c]. */
export function recordCfgCombine(rec: Recorder, logits: GPUBuffer, out: GPUBuffer, o: CfgCombineOptions): void {
  const kernel = 'cfg_combine';
  if (o.uncondOffset === undefined) throw new KernelShapeError(kernel, 'uncondOffset is required');
  if (!Number.isFinite(o.guidance)) throw new KernelShapeError(kernel, `guidance must be finite, got ${o.guidance}`);
  const inBinding = checkLogits(rec.ctx, kernel, logits, o);
  const outOffset = o.outOffset ?? 0;
  const outBinding = checkOut(rec.ctx, kernel, 'out', out, outOffset, o.rows * o.V);
  const { WG } = tuning.cfgCombine;
  const [nx, ny] = fold1D(ceilDiv(o.rows * o.V, WG), rec.ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'cfg_combine',
    defines: { WG },
    uniforms: { rows: o.rows, cols: o.V, rowStride: o.rowStride, colOffset: o.colOffset ?? 0, uncondOffset: o.uncondOffset, outOffset, nx, guidance: o.guidance },
    bindings: [inBinding, outBinding],
    workgroups: [nx, ny],
    label: `cfg_combine rows=${o.rows} V=${o.V}`,
  });
}
