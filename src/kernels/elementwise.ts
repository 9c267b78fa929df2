/**
 * Elementwise ops: GELU(tanh), SiLU, SwiGLU (silu(a)·b, or [gate|up] halves of one row), add,
 * mul, and scale-shift (a·s + t). Flat f32 buffers; shapes only enter as element counts.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { tuning } from './tuning';
import { fold1D, ceilDiv } from './dispatch-geometry';

export type UnaryOp = 'gelu_tanh' | 'silu';
export type BinaryOp = 'add' | 'mul' | 'swiglu';

const OP_DEFINE = { gelu_tanh: 'OP_GELU', silu: 'OP_SILU', swiglu: 'OP_SWIGLU', add: 'OP_ADD', scale: 'OP_SCALE', mul: 'OP_MUL', gated_acc: 'OP_GATED_ACC' } as const;

function checkLen(kernel: string, what: string, buf: GPUBuffer, elems: number): void {
  if (buf.size < elems * 4) throw new KernelShapeError(kernel, `${what} holds ${buf.size / 4} f32 but ${elems} are needed`);
}

function record(rec: Recorder, op: keyof typeof OP_DEFINE, n: number, a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, extra: { cols?: number; s?: number; t?: number; gateUp?: boolean; rowsPerBatch?: number; gStride?: number; gOff?: number } = {}): void {
  const { WG } = tuning.elementwise;
  const [nx, ny] = fold1D(ceilDiv(n, WG), rec.ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'elementwise',
    defines: { WG, [OP_DEFINE[op]]: 1, GATE_UP: extra.gateUp ? 1 : 0 },
    uniforms: { n, cols: extra.cols ?? 0, nx, s: extra.s ?? 1, t: extra.t ?? 0, rowsPerBatch: extra.rowsPerBatch ?? 1, gStride: extra.gStride ?? 0, gOff: extra.gOff ?? 0 },
    bindings: [a, b, out],
    workgroups: [nx, ny],
    label: `elementwise:${op}`,
  });
}

/** out[i] = op(a[i]) for i < n. */
export function recordUnary(rec: Recorder, op: UnaryOp, a: GPUBuffer, out: GPUBuffer, n: number): void {
  const k = `elementwise.${op}`;
  checkLen(k, 'a', a, n);
  checkLen(k, 'out', out, n);
  record(rec, op, n, a, a, out);
}

/** out[i] = op(a[i], b[i]) for i < n. */
export function recordBinary(rec: Recorder, op: BinaryOp, a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, n: number): void {
  const k = `elementwise.${op}`;
  checkLen(k, 'a', a, n);
  checkLen(k, 'b', b, n);
  checkLen(k, 'out', out, n);
  record(rec, op, n, a, b, out);
}

/** out[r, c] = silu(gateUp[r, c]) · gateUp[r, cols + c]: SwiGLU on a fused [gate | up] projection of shape (rows, 2·cols). */
export function recordSwigluFused(rec: Recorder, gateUp: GPUBuffer, out: GPUBuffer, rows: number, cols: number): void {
  const k = 'elementwise.swiglu_fused';
  checkLen(k, 'gateUp', gateUp, rows * cols * 2);
  checkLen(k, 'out', out, rows * cols);
  record(rec, 'swiglu', rows * cols, gateUp, gateUp, out, { cols, gateUp: true });
}

/** out[i] = a[i]·s + t. */
export function recordScale(rec: Recorder, a: GPUBuffer, out: GPUBuffer, n: number, s: number, t = 0): void {
  const k = 'elementwise.scale';
  checkLen(k, 'a', a, n);
  checkLen(k, 'out', out, n);
  record(rec, 'scale', n, a, a, out, { s, t });
}

export interface GatedAccArgs {
  /** f32 [R, cols], updated in place: out[r, c] += gate[batch(r)][c] · y[r, c]. */
  out: GPUBuffer;
  /** f32 [R, cols]; a buffer other than out. */
  y: GPUBuffer;
  /** f32 buffer holding one gate vector of `cols` values per batch entry. */
  gate: GPUBuffer;
  gateOffset: number;
  /** Elements between consecutive batches' gate vectors. */
  gateStride: number;
  rows: number;
  cols: number;
  /** Rows of out per batch entry: batch(r) = floor(r / rowsPerBatch). */
  rowsPerBatch: number;
}

/** VAR's gated residual x += γ·f(x), γ one vector per batch entry (ada_lin's γ1 or γ2). */
export function recordGatedAcc(rec: Recorder, a: GatedAccArgs): void {
  const k = 'elementwise.gated_acc';
  const n = a.rows * a.cols;
  if (!(a.cols > 0 && a.rowsPerBatch > 0)) throw new KernelShapeError(k, `cols (${a.cols}) and rowsPerBatch (${a.rowsPerBatch}) must be ≥ 1`);
  if (a.out === a.y || a.out === a.gate) throw new KernelShapeError(k, 'out must not share a buffer with y or the gate');
  checkLen(k, 'out', a.out, n);
  checkLen(k, 'y', a.y, n);
  const batches = Math.ceil(a.rows / a.rowsPerBatch);
  checkLen(k, 'gate', a.gate, a.gateOffset + (batches - 1) * a.gateStride + a.cols);
  record(rec, 'gated_acc', n, a.gate, a.y, a.out, { cols: a.cols, rowsPerBatch: a.rowsPerBatch, gStride: a.gateStride, gOff: a.gateOffset });
}
