/**
 * Codebook nearest: for each cell of a residual map r (NCHW [C, h, w]) the index of the closest
 * codebook row (plain L2, lowest index on ties): the quantization step of the VQ encoder, which
 * turns an uploaded image into multi-scale codes. Writes u32 codes at an element offset so every
 * scale's codes share one buffer.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims, checkNoAlias } from './feature-checks';

export interface CodebookNearestArgs {
  /** f32 residual map [C, h·w] (NCHW, B = 1) at element `rOffset`. */
  r: GPUBuffer;
  rOffset?: number;
  /** f32 codebook [V, C] at element `codebookOffset`. */
  codebook: GPUBuffer;
  codebookOffset?: number;
  /** u32 output: h·w codes written from element `outOffset`. */
  codes: GPUBuffer;
  outOffset?: number;
  HW: number;
  C: number;
  V: number;
}

const K = 'codebook_nearest';
const WG = 64;

export function recordCodebookNearest(rec: Recorder, a: CodebookNearestArgs): void {
  const { HW, C, V } = a;
  const shapes = `r [${C}, ${HW}] codebook [${V}, ${C}]`;
  checkDims(K, shapes, { HW, C, V });
  const maxWg = rec.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (HW > maxWg) throw new KernelShapeError(K, `${HW} cells exceed maxComputeWorkgroupsPerDimension ${maxWg} (one workgroup per cell)`);
  checkNoAlias(K, a.codes, { r: a.r, codebook: a.codebook });
  const r = bindWindow(rec.ctx, K, shapes, 'r', a.r, C * HW, a.rOffset ?? 0);
  const cb = bindWindow(rec.ctx, K, shapes, 'codebook', a.codebook, V * C, a.codebookOffset ?? 0);
  const out = bindWindow(rec.ctx, K, shapes, 'codes', a.codes, HW, a.outOffset ?? 0);
  rec.dispatch({
    shader: K,
    defines: { WG },
    uniforms: { HW, C, V, rOff: r.offset, cbOff: cb.offset, outOff: out.offset },
    bindings: [r.binding, cb.binding, out.binding],
    workgroups: [HW, 1],
    label: K,
  });
}
