/**
 * Linear layer: y[M,N] = x[M,K] · W[N,K]ᵀ (+ bias[N]) (+ residual[M,N]), W in PyTorch layout.
 * Activations f32; weights f32, f16 (two per u32) or q8 (int8 + per-32 f32 scales), packed by
 * matmul-pack.ts. Two paths: register-tiled (matmul.wgsl) for many rows, matrix-vector
 * (matvec.wgsl) for M ≤ tuning.matvec.MAX_M. Every tensor can sit at an offset inside a larger
 * (shard) buffer: only the window it spans is bound, so the shard may exceed the binding limit.
 */
import { KernelShapeError, UnsupportedDtypeError } from '../api/errors';
import type { Binding, Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D, ceilDiv } from './dispatch-geometry';
import { scaleGroups, wordsPerRow, WEIGHT_DTYPES, type WeightDtype } from './matmul-pack';
import { tuning } from './tuning';

export type { WeightDtype } from './matmul-pack';
export type LinearPath = 'auto' | 'tiled' | 'matvec';

/** A tensor at an element offset inside a buffer (offset in its own 4-byte words). */
export interface TensorRef {
  buffer: GPUBuffer;
  offset?: number;
}

export interface LinearWeights {
  dtype: WeightDtype;
  /** W [N,K]: f32 elements, or packed words (f16: [N, ceil(K/2)], q8: [N, ceil(K/4)]); offset in words. */
  w: TensorRef;
  /** q8 only: f32 [N, ceil(K/32)]. */
  scales?: TensorRef;
  /** f32 [N]. */
  bias?: TensorRef;
}

export interface LinearArgs {
  M: number;
  K: number;
  N: number;
  /** f32 [M,K]. */
  x: TensorRef;
  weights: LinearWeights;
  /** f32 [M,N]; must not share a buffer with any input except an in-place residual. */
  y: TensorRef;
  /** f32 [M,N] added to the result. Passing y itself (same buffer and offset) gives y += x·Wᵀ. */
  residual?: TensorRef;
  /** Forces a path (tests, benchmarks); 'auto' picks matvec for M ≤ tuning.matvec.MAX_M. */
  path?: LinearPath;
}

/** Epilogue flags of matmul.wgsl / matvec.wgsl (Params.epi). */
const EPI_BIAS = 1;
const EPI_RES_BUF = 2;
const EPI_RES_INPLACE = 4;

const KERNEL = 'linear';

/** Which path `recordLinear` takes for M rows. */
export function linearPath(M: number, path: LinearPath = 'auto'): 'tiled' | 'matvec' {
  if (path !== 'auto') return path;
  return M <= tuning.matvec.MAX_M ? 'matvec' : 'tiled';
}

/** Record y = x·Wᵀ (+ bias) (+ residual). Validates everything before recording anything. */
export function recordLinear(rec: Recorder, a: LinearArgs): void {
  const { M, K, N, weights: wt } = a;
  const dtype = wt.dtype as string;
  if (!(WEIGHT_DTYPES as readonly string[]).includes(dtype)) throw new UnsupportedDtypeError(KERNEL, dtype, WEIGHT_DTYPES);
  const shapes = `x[${M},${K}] · W[${N},${K}]ᵀ ${dtype} → y[${M},${N}]`;
  checkDims(KERNEL, shapes, { M, K, N }, ['M']);
  const path = linearPath(M, a.path);
  if (path === 'matvec' && M > tuning.matvec.MAX_M) {
    throw new KernelShapeError(KERNEL, `the matvec path takes M ≤ ${tuning.matvec.MAX_M} rows, got M=${M} (${shapes})`);
  }
  if (wt.dtype === 'q8' && !wt.scales) throw new KernelShapeError(KERNEL, `q8 weights need scales [${N},${scaleGroups(K)}] (${shapes})`);
  const inPlace = a.residual !== undefined && a.residual.buffer === a.y.buffer;
  if (inPlace && (a.residual!.offset ?? 0) !== (a.y.offset ?? 0)) {
    throw new KernelShapeError(KERNEL, `an in-place residual must start where y does (offsets ${a.residual!.offset ?? 0} and ${a.y.offset ?? 0}) (${shapes})`);
  }
  const inputs: Array<[string, TensorRef | undefined]> = [['x', a.x], ['w', wt.w], ['scales', wt.scales], ['bias', wt.bias], ['residual', inPlace ? undefined : a.residual]];
  for (const [what, t] of inputs) {
    if (t && t.buffer === a.y.buffer) throw new KernelShapeError(KERNEL, `${what} and y are the same buffer; WebGPU cannot read and write one buffer in a dispatch (${shapes})`);
  }

  const ctx = rec.ctx;
  const win = (what: string, t: TensorRef, elems: number) => bindWindow(ctx, KERNEL, shapes, what, t.buffer, elems, t.offset ?? 0);
  const kw = wordsPerRow(wt.dtype, K);
  const x = win('x', a.x, M * K);
  const w = win('w', wt.w, N * kw);
  const s = wt.dtype === 'q8' ? win('scales', wt.scales!, N * scaleGroups(K)) : undefined;
  const b = wt.bias ? win('bias', wt.bias, N) : undefined;
  const r = a.residual && !inPlace ? win('residual', a.residual, M * N) : undefined;
  const y = win('y', a.y, M * N);
  if (M === 0) return;

  const maxWg = ctx.limits.maxComputeWorkgroupsPerDimension;
  const params = {
    M, N, K, kw, groups: scaleGroups(K),
    x_off: x.offset, w_off: w.offset, s_off: s?.offset ?? 0, b_off: b?.offset ?? 0, r_off: r?.offset ?? 0, y_off: y.offset,
    epi: (b ? EPI_BIAS : 0) | (r ? EPI_RES_BUF : 0) | (inPlace ? EPI_RES_INPLACE : 0),
  };
  // Only the weight format is compile-time; bias and residual are uniform flags (matmul.wgsl).
  const flags = { W_F32: wt.dtype === 'f32' ? 1 : 0, W_F16: wt.dtype === 'f16' ? 1 : 0, W_Q8: wt.dtype === 'q8' ? 1 : 0 };
  // Unused slots get x's window: read-only, so it can never conflict with y.
  const bindings: Binding[] = [x.binding, w.binding, (s ?? x).binding, (b ?? x).binding, (r ?? x).binding, y.binding];

  if (path === 'matvec') {
    const { G, COLS } = tuning.matvec;
    const [nx, ny] = fold1D(ceilDiv(N, G * COLS), maxWg);
    // Rows are compile-time so the accumulators stay in registers: 1, 2 or 4, never more variants.
    const ROWS = M <= 1 ? 1 : M <= 2 ? 2 : 4;
    rec.dispatch({
      shader: 'matvec',
      defines: { ...flags, G, COLS, ROWS, QUAD: ctx.features.subgroups ? 1 : 0 },
      uniforms: { ...params, nx },
      bindings,
      workgroups: [nx, ny],
      label: `linear:matvec:${wt.dtype}`,
    });
    return;
  }
  const { BM, BN, TK } = tuning.matmul;
  const gx = ceilDiv(N, BN);
  const gy = ceilDiv(M, BM);
  if (gx > maxWg || gy > maxWg) throw new KernelShapeError(KERNEL, `needs (${gx},${gy}) workgroups, over the device's ${maxWg} per dimension (${shapes})`);
  rec.dispatch({
    shader: 'matmul',
    // Quad shuffles share x rows among 4 lanes (see matmul.wgsl); without subgroups each lane loads its own.
    defines: { ...flags, BM, BN, TK, QUAD: ctx.features.subgroups ? 1 : 0 },
    uniforms: params,
    bindings,
    workgroups: [gx, gy],
    label: `linear:tiled:${wt.dtype}`,
  });
}
