/**
 * Codebook lookup: codes u32 [B, h·w] → E[code] as a feature map NCHW [B, C, h, w] (VAR's
 * `embedding(idx).transpose(1,2).view(B,C,pn,pn)`) or as tokens [B, h·w, C]. Codes of every scale
 * live in one buffer, so the codes (and the codebook) are read at an element offset.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { ceilDiv, fold1D } from './dispatch-geometry';
import { bindWindow, checkDims, checkLayout, checkNoAlias, type FeatureLayout } from './feature-checks';
import { tuning } from './tuning';

export interface CodebookGatherArgs {
  /** u32 codes [B, h·w] starting at element `codesOffset`. */
  codes: GPUBuffer;
  codesOffset?: number;
  /** Elements from batch b's codes to batch b+1's: h·w (default), or L when all scales share one [B, L] buffer. */
  codesStride?: number;
  /** f32 codebook [V, C] starting at element `codebookOffset`. */
  codebook: GPUBuffer;
  codebookOffset?: number;
  /** f32 output, NCHW [B, C, h, w] or tokens [B, h·w, C]. */
  out: GPUBuffer;
  B: number;
  h: number;
  w: number;
  V: number;
  C: number;
  layout?: FeatureLayout;
}

const K = 'codebook_gather';

export function recordCodebookGather(rec: Recorder, a: CodebookGatherArgs): void {
  const layout = checkLayout(K, a.layout ?? 'nchw');
  const { B, h, w, V, C } = a;
  const shapes = `codes [${B}, ${h}·${w}] codebook [${V}, ${C}] layout ${layout}`;
  const HW = h * w;
  const stride = a.codesStride ?? HW;
  checkDims(K, shapes, { B, h, w, V, C });
  if (!Number.isInteger(stride) || stride < HW) throw new KernelShapeError(K, `codesStride ${stride} must be an integer ≥ h·w = ${HW} (${shapes})`);
  checkNoAlias(K, a.out, { codes: a.codes, codebook: a.codebook });
  const codes = bindWindow(rec.ctx, K, shapes, 'codes', a.codes, (B - 1) * stride + HW, a.codesOffset ?? 0);
  const cb = bindWindow(rec.ctx, K, shapes, 'codebook', a.codebook, V * C, a.codebookOffset ?? 0);
  const out = bindWindow(rec.ctx, K, shapes, 'out', a.out, B * HW * C);
  const { WG } = tuning.featureMap;
  const [nx, ny] = fold1D(ceilDiv(B * HW * C, WG), rec.ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: K,
    defines: { WG, TOKENS: layout === 'tokens' ? 1 : 0 },
    uniforms: { B, HW, C, V, codeOff: codes.offset, cbOff: cb.offset, codeStride: stride, nx },
    bindings: [codes.binding, cb.binding, out.binding],
    workgroups: [nx, ny],
    label: `${K}:${layout}`,
  });
}
