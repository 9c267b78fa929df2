/**
 * Single-head attention over the pixels of a feature map (spatial_attention.wgsl): the VQ-VAE
 * decoder's AttnBlock, out = v·softmax(scale·qᵀk)ᵀ with q, k, v the C-row slices of one NCHW qkv
 * map [3C, HW]. Two dispatches through a probability scratch buffer [HW, HW].
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims, checkNoAlias } from './feature-checks';
import { ceilDiv, fold1D } from './dispatch-geometry';

export interface SpatialAttentionArgs {
  /** f32 [3C, HW] (q rows, then k rows, then v rows) at element `qkvOffset`. */
  qkv: GPUBuffer;
  qkvOffset?: number;
  /** f32 scratch of at least HW·HW elements. */
  prob: GPUBuffer;
  /** f32 [C, HW] at element `outOffset`. */
  out: GPUBuffer;
  outOffset?: number;
  C: number;
  HW: number;
  /** Default 1/√C. */
  scale?: number;
}

const K = 'spatial_attention';
const WG = 64;

export function recordSpatialAttention(rec: Recorder, a: SpatialAttentionArgs): void {
  const { C, HW } = a;
  const shapes = `qkv [${3 * C}, ${HW}] → out [${C}, ${HW}]`;
  checkDims(K, shapes, { C, HW });
  const maxWg = rec.ctx.limits.maxComputeWorkgroupsPerDimension;
  if (HW > maxWg) throw new KernelShapeError(K, `${HW} pixels exceed maxComputeWorkgroupsPerDimension ${maxWg} (one workgroup per query pixel)`);
  checkNoAlias(K, a.out, { qkv: a.qkv, prob: a.prob });
  checkNoAlias(K, a.prob, { qkv: a.qkv });
  const qkv = bindWindow(rec.ctx, K, shapes, 'qkv', a.qkv, 3 * C * HW, a.qkvOffset ?? 0);
  const prob = bindWindow(rec.ctx, K, shapes, 'prob', a.prob, HW * HW, 0);
  const out = bindWindow(rec.ctx, K, shapes, 'out', a.out, C * HW, a.outOffset ?? 0);
  const scale = a.scale ?? 1 / Math.sqrt(C);
  if (!Number.isFinite(scale)) throw new KernelShapeError(K, `scale must be finite, got ${scale}`);
  const [nx, ny] = fold1D(ceilDiv(C * HW, WG), maxWg);
  const params = () => ({ C, HW, qkvOff: qkv.offset, outOff: out.offset, scale, nx });
  rec.dispatch({ shader: K, defines: { WG, SCORES: 1 }, uniforms: params(), bindings: [qkv.binding, prob.binding, out.binding], workgroups: [HW, 1], label: `${K}:scores` });
  rec.dispatch({ shader: K, defines: { WG, SCORES: 0 }, uniforms: params(), bindings: [qkv.binding, prob.binding, out.binding], workgroups: [nx, ny], label: `${K}:out` });
}
