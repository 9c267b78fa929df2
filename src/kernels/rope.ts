/**
 * Rotary position embedding in place on q or k [B, T, H, D] (rope.wgsl), rotate-half
 * convention, inv_freq_j = theta^(−2j/D). 1D: positions f32 [T]. 3D (NextFlow's multi-scale
 * RoPE): positions f32 [T, 3] and `sections` = pairs per axis, summing to D/2. Positions are
 * shared across the batch; build NextFlow's with rope-positions.ts.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D, ceilDiv } from './dispatch-geometry';
import { stridedElems } from './kv_append';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

export interface RopeArgs {
  /** f32 [B, T, H, D], rotated in place: token rows of `stride` elements (default H·D). */
  x: TensorRef;
  B: number;
  T: number;
  H: number;
  /** Head dim (even). */
  D: number;
  stride?: number;
  /** f32 [T] (1D) or [T, 3] (3D). */
  positions: TensorRef;
  /** RoPE base, e.g. 10000 (Llama) or 1e6 (Qwen2.5). */
  theta: number;
  /** 3D mode: pairs driven by axes 0, 1, 2; must sum to D/2 (e.g. [12, 12, 8] for D = 64). */
  sections?: readonly [number, number, number];
}

const KERNEL = 'rope';
/** Pairs the uniform's inv_freq table holds (rope.wgsl Params). */
const MAX_PAIRS = 64;

/**
 * inv_freq_j = theta^(−2j/D), computed in f64 and rounded to f32 when packed (PyTorch's f32 value to
 * within an ulp, where the built-in exp2 is ~3 ulp off), padded with zeros to MAX_PAIRS.
 */
function invFreq(theta: number, D: number): Float64Array {
  return Float64Array.from({ length: MAX_PAIRS }, (_, j) => (j < D / 2 ? theta ** (-(2 * j) / D) : 0));
}

export function recordRope(rec: Recorder, a: RopeArgs): void {
  const { B, T, H, D, theta, sections } = a;
  const stride = a.stride ?? H * D;
  const shapes = `x[${B},${T},${H},${D}] positions[${T}${sections ? ',3' : ''}]${sections ? ` sections=[${sections.join(',')}]` : ''}`;
  checkDims(KERNEL, shapes, { B, T, H, D, stride });
  if (D % 2 !== 0) throw new KernelShapeError(KERNEL, `head dim D=${D} must be even (${shapes})`);
  if (D > 2 * MAX_PAIRS) throw new KernelShapeError(KERNEL, `head dim D=${D} must be ≤ ${2 * MAX_PAIRS} (${shapes})`);
  if (stride < H * D) throw new KernelShapeError(KERNEL, `stride=${stride} must be ≥ H·D = ${H * D} (${shapes})`);
  if (!(theta > 1) || !Number.isFinite(theta)) throw new KernelShapeError(KERNEL, `theta=${theta} must be a finite number > 1 (${shapes})`);
  if (sections) {
    if (sections.length !== 3 || sections.some((s) => !Number.isInteger(s) || s < 0) || sections[0] + sections[1] + sections[2] !== D / 2) {
      throw new KernelShapeError(KERNEL, `sections [${sections.join(',')}] must be three integers ≥ 0 summing to D/2 = ${D / 2} (${shapes})`);
    }
  }
  if (a.positions.buffer === a.x.buffer) throw new KernelShapeError(KERNEL, `positions and x are the same buffer (${shapes})`);
  const ctx = rec.ctx;
  const x = bindWindow(ctx, KERNEL, shapes, 'x', a.x.buffer, stridedElems(B * T, stride, H * D), a.x.offset ?? 0);
  const p = bindWindow(ctx, KERNEL, shapes, 'positions', a.positions.buffer, sections ? 3 * T : T, a.positions.offset ?? 0);

  const { WG } = tuning.rope;
  const [nx, ny] = fold1D(ceilDiv((B * T * H * D) / 2, WG), ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'rope',
    defines: { WG, POS3D: sections ? 1 : 0 },
    uniforms: { B, T, H, D, stride, x_off: x.offset, p_off: p.offset, s0: sections?.[0] ?? 0, s1: sections?.[1] ?? 0, nx, inv_freq: invFreq(theta, D) },
    bindings: [x.binding, p.binding],
    workgroups: [nx, ny],
    label: `rope:${sections ? '3d' : '1d'}`,
  });
}
