/**
 * GroupNorm (PyTorch nn.GroupNorm) over NCHW f32, optional affine weight/bias (f32 or packed f16,
 * at element offsets) and fused SiLU. One workgroup per (batch, group).
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims, checkDtype, checkNoAlias, type WeightDtype } from './feature-checks';
import { tuning } from './tuning';

export interface GroupNormArgs {
  /** f32 NCHW [B, C, H, W]. */
  x: GPUBuffer;
  /** f32 NCHW [B, C, H, W]; must not be x. */
  out: GPUBuffer;
  /** [C] each, at element offsets, dtype `dtype`; both or neither. */
  weight?: GPUBuffer;
  weightOffset?: number;
  bias?: GPUBuffer;
  biasOffset?: number;
  dtype?: WeightDtype;
  B: number;
  C: number;
  H: number;
  W: number;
  groups: number;
  /** PyTorch's default is 1e-5; VAR's decoder uses 1e-6. */
  eps?: number;
  /** Apply SiLU after the norm. */
  silu?: boolean;
}

const K = 'groupnorm';

export function recordGroupNorm(rec: Recorder, a: GroupNormArgs): void {
  const { B, C, H, W, groups } = a;
  const dtype = checkDtype(K, a.dtype ?? 'f32');
  const shapes = `x [${B}, ${C}, ${H}, ${W}] groups ${groups}`;
  checkDims(K, shapes, { B, C, H, W, groups });
  if (C % groups) throw new KernelShapeError(K, `C=${C} is not divisible by groups=${groups} (${shapes})`);
  if (!a.weight !== !a.bias) throw new KernelShapeError(K, `pass both weight and bias, or neither (${shapes})`);
  checkNoAlias(K, a.out, { x: a.x, weight: a.weight, bias: a.bias });
  const ctx = rec.ctx;
  const HW = H * W;
  const x = bindWindow(ctx, K, shapes, 'x', a.x, B * C * HW);
  const out = bindWindow(ctx, K, shapes, 'out', a.out, B * C * HW);
  const bpe = dtype === 'f16' ? 2 : 4;
  const w = a.weight ? bindWindow(ctx, K, shapes, 'weight', a.weight, C, a.weightOffset ?? 0, bpe) : undefined;
  const b = a.bias ? bindWindow(ctx, K, shapes, 'bias', a.bias, C, a.biasOffset ?? 0, bpe) : undefined;
  rec.dispatch({
    shader: K,
    defines: { WG: tuning.groupnorm.WG, AFFINE: w ? 1 : 0, W_F16: dtype === 'f16' ? 1 : 0, SILU: a.silu ? 1 : 0 },
    uniforms: { B, C, HW, G: groups, Cg: C / groups, eps: a.eps ?? 1e-5, wOff: w?.offset ?? 0, bOff: b?.offset ?? 0 },
    bindings: [x.binding, (w ?? x).binding, (b ?? x).binding, out.binding],
    workgroups: [groups, B],
    label: `${K}:G=${groups}${a.silu ? '+silu' : ''}`,
  });
}
