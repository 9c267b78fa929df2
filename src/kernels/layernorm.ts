/**
 * LayerNorm without affine fused with AdaLN modulation (layernorm.wgsl), one workgroup per row:
 * y = LN(x)·(1 + scale[b]) + shift[b], b = row / rowsPerBatch. scale and shift are read from one
 * modulation buffer of per-batch vectors (VAR's ada_lin output [B, 6C]: pass stride 6C, scale
 * at 2C and shift at 4C for the attention branch, 3C and 5C for the FFN).
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D } from './dispatch-geometry';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

export interface AdaLnModulation {
  /** f32 buffer of per-batch vectors; offsets are in elements from the start of `buffer`. */
  buffer: GPUBuffer;
  scaleOffset: number;
  shiftOffset: number;
  /** Elements between the vectors of consecutive batches. */
  stride: number;
  /** Rows of x per batch entry (e.g. tokens per image). */
  rowsPerBatch: number;
}

export interface LayerNormArgs {
  R: number;
  C: number;
  /** f32 [R, C]. */
  x: TensorRef;
  /** f32 [R, C]; a buffer other than x's and the modulation's. */
  y: TensorRef;
  /** Without it, a plain LayerNorm without affine. */
  modulation?: AdaLnModulation;
  /** Default 1e-6 (VAR). */
  eps?: number;
}

const KERNEL = 'layernorm';

export function recordLayerNorm(rec: Recorder, a: LayerNormArgs): void {
  const { R, C } = a;
  const m = a.modulation;
  const shapes = `x[${R},${C}] → y[${R},${C}]${m ? ` mod(stride ${m.stride}, scale@${m.scaleOffset}, shift@${m.shiftOffset}, ${m.rowsPerBatch} rows/batch)` : ''}`;
  checkDims(KERNEL, shapes, { R, C });
  if (a.x.buffer === a.y.buffer || m?.buffer === a.y.buffer) throw new KernelShapeError(KERNEL, `y must not share a buffer with x or the modulation (${shapes})`);
  const ctx = rec.ctx;
  const x = bindWindow(ctx, KERNEL, shapes, 'x', a.x.buffer, R * C, a.x.offset ?? 0);
  const y = bindWindow(ctx, KERNEL, shapes, 'y', a.y.buffer, R * C, a.y.offset ?? 0);
  let mod = x;
  let base = 0;
  if (m) {
    checkDims(KERNEL, shapes, { scaleOffset: m.scaleOffset, shiftOffset: m.shiftOffset, stride: m.stride, rowsPerBatch: m.rowsPerBatch }, ['scaleOffset', 'shiftOffset', 'stride']);
    const batches = Math.ceil(R / m.rowsPerBatch);
    const lo = Math.min(m.scaleOffset, m.shiftOffset);
    const hi = Math.max(m.scaleOffset, m.shiftOffset) + (batches - 1) * m.stride + C;
    mod = bindWindow(ctx, KERNEL, shapes, 'modulation', m.buffer, hi - lo, lo);
    base = mod.offset - lo; // element offsets in mod relative to the bound window
  }
  const { WG, SQ } = tuning.rowNorm;
  const [nx, ny] = fold1D(R, ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'layernorm',
    defines: { WG, SQ, MOD: m ? 1 : 0 },
    uniforms: {
      R, C, rowsPerBatch: m?.rowsPerBatch ?? 1, eps: a.eps ?? 1e-6, x_off: x.offset, y_off: y.offset,
      scale_off: m ? base + m.scaleOffset : 0, shift_off: m ? base + m.shiftOffset : 0, mod_stride: m?.stride ?? 0, nx,
    },
    bindings: [x.binding, mod.binding, y.binding],
    workgroups: [nx, ny],
    label: m ? 'layernorm:adaln' : 'layernorm',
  });
}
