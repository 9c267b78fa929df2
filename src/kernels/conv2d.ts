/**
 * conv2d, stride 1, same padding, NCHW, kernel 3×3 or 1×1, as a tiled implicit GEMM (see
 * shaders/conv2d.wgsl) with a fused epilogue:
 *   out (= or +=) α·(conv(x) + bias) + β·skip
 * Weights [Cout, Cin, k, k] and bias [Cout] in f32 or f16 packed two per u32, each at an element
 * offset into (possibly shared) weight buffers. Also VAR's phi residual update as a named wrapper.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { ceilDiv } from './dispatch-geometry';
import { bindWindow, checkDims, checkDtype, checkNoAlias, type WeightDtype } from './feature-checks';
import { tuning } from './tuning';

export interface Conv2dArgs {
  /** f32 NCHW [B, Cin, H, W]. */
  x: GPUBuffer;
  /** [Cout, Cin, ksize, ksize] starting at element `weightOffset` (in f16 halves when dtype is f16). */
  weight: GPUBuffer;
  weightOffset?: number;
  /** Weight dtype: 'f32', or 'f16' packed two per u32 (element e in the low half of word e/2 when even). */
  dtype?: WeightDtype;
  /** [Cout] starting at element `biasOffset`; dtype `biasDtype` (defaults to `dtype`). */
  bias?: GPUBuffer;
  biasOffset?: number;
  biasDtype?: WeightDtype;
  /** f32 NCHW [B, Cout, H, W], added as β·skip. Must not be `out` (use accumulate for that). */
  skip?: GPUBuffer;
  /** f32 NCHW [B, Cout, H, W]. */
  out: GPUBuffer;
  B: number;
  Cin: number;
  Cout: number;
  H: number;
  W: number;
  ksize: 1 | 3;
  /** Scales conv(x) + bias (default 1). */
  alpha?: number;
  /** Scales skip (default 1). */
  beta?: number;
  /** out += result instead of out = result. */
  accumulate?: boolean;
}

const K = 'conv2d';

/** Tile sizes for this layer (a layer fact, never a spatial one) from tuning.conv2d, checked. */
function tiling(ctx: Recorder['ctx'], Cout: number, ksize: 1 | 3): { TM: number; TN: number; CI: number } {
  const t = tuning.conv2d;
  const { TM, TN } = Cout <= t.narrow.TM ? t.narrow : t;
  if (TM % 8 || TN % 8) throw new Error(`tuning.conv2d ${JSON.stringify(t)} violates its constraints`);
  let CI: number = ksize === 3 ? t.CI3 : t.CI1;
  const bytes = (ci: number) => ci * ksize * ksize * (TM + TN) * 4;
  while (CI > 1 && bytes(CI) > ctx.limits.maxComputeWorkgroupStorageSize) CI = Math.floor(CI / 2);
  if (bytes(CI) > ctx.limits.maxComputeWorkgroupStorageSize) throw new Error(`tuning.conv2d: tiles need ${bytes(CI)} bytes of workgroup memory`);
  return { TM, TN, CI };
}

export function recordConv2d(rec: Recorder, a: Conv2dArgs): void {
  const { B, Cin, Cout, H, W, ksize } = a;
  const dtype = checkDtype(K, a.dtype ?? 'f32');
  const biasDtype = checkDtype(K, a.biasDtype ?? dtype);
  const shapes = `x [${B}, ${Cin}, ${H}, ${W}] w [${Cout}, ${Cin}, ${ksize}, ${ksize}] ${dtype}`;
  checkDims(K, shapes, { B, Cin, Cout, H, W });
  if (ksize !== 1 && ksize !== 3) throw new KernelShapeError(K, `ksize ${ksize} is not 1 or 3 (${shapes})`);
  checkNoAlias(K, a.out, { x: a.x, weight: a.weight, bias: a.bias, skip: a.skip });
  const ctx = rec.ctx;
  const HW = H * W;
  const x = bindWindow(ctx, K, shapes, 'x', a.x, B * Cin * HW);
  const w = bindWindow(ctx, K, shapes, 'weight', a.weight, Cout * Cin * ksize * ksize, a.weightOffset ?? 0, dtype === 'f16' ? 2 : 4);
  const bias = a.bias ? bindWindow(ctx, K, shapes, 'bias', a.bias, Cout, a.biasOffset ?? 0, biasDtype === 'f16' ? 2 : 4) : undefined;
  const skip = a.skip ? bindWindow(ctx, K, shapes, 'skip', a.skip, B * Cout * HW) : undefined;
  const out = bindWindow(ctx, K, shapes, 'out', a.out, B * Cout * HW);
  const { TM, TN, CI } = tiling(ctx, Cout, ksize);
  rec.dispatch({
    shader: K,
    defines: {
      KS: ksize,
      CI,
      TM,
      TN,
      W_F16: dtype === 'f16' ? 1 : 0,
      B_F16: biasDtype === 'f16' ? 1 : 0,
    },
    uniforms: {
      B, Cin, Cout, H, W, wOff: w.offset, bOff: bias?.offset ?? 0, alpha: a.alpha ?? 1, beta: a.beta ?? 1,
      flags: (bias ? 1 : 0) | (skip ? 2 : 0) | (a.accumulate ? 4 : 0),
    },
    // Unused optional slots get x: every variant keeps the same binding list.
    bindings: [x.binding, w.binding, (bias ?? x).binding, (skip ?? x).binding, out.binding],
    workgroups: [ceilDiv(HW, TN), ceilDiv(Cout, TM), B],
    label: `${K}:${ksize}x${ksize}:${Cin}→${Cout}`,
  });
}

export interface PhiResidualArgs {
  /** f32 NCHW [B, C, H, W]: this scale's h, already resized to the final grid. */
  h: GPUBuffer;
  /** f32 NCHW [B, C, H, W], updated in place. */
  fHat: GPUBuffer;
  /** Phi's 3×3 conv, [C, C, 3, 3] and [C]. */
  weight: GPUBuffer;
  weightOffset?: number;
  bias: GPUBuffer;
  biasOffset?: number;
  dtype?: WeightDtype;
  biasDtype?: WeightDtype;
  B: number;
  C: number;
  H: number;
  W: number;
  /** VAR's quant_resi (0.5): Phi(h) = (1 − ratio)·h + ratio·(conv3x3(h) + b). */
  ratio?: number;
}

/** VAR's residual update f_hat += Phi(h) = (1 − ratio)·h + ratio·(conv3x3(h) + b), in one dispatch. */
export function recordPhiResidualUpdate(rec: Recorder, a: PhiResidualArgs): void {
  const ratio = a.ratio ?? 0.5;
  recordConv2d(rec, {
    x: a.h,
    weight: a.weight,
    weightOffset: a.weightOffset,
    dtype: a.dtype,
    bias: a.bias,
    biasOffset: a.biasOffset,
    biasDtype: a.biasDtype,
    skip: a.h,
    out: a.fHat,
    B: a.B,
    Cin: a.C,
    Cout: a.C,
    H: a.H,
    W: a.W,
    ksize: 3,
    alpha: ratio,
    beta: 1 - ratio,
    accumulate: true,
  });
}
