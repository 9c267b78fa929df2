/**
 * The sampler of docs/sampling.md §2 in plain TypeScript: CFG → temperature → top-k → softmax →
 * top-p → one seeded draw walked in index order. Float32 semantics where they decide the token
 * (Math.fround on the combined logits, e_i and every running sum), so it mirrors the GPU; the GPU
 * sums in a different order, so each result also says whether the draw (or the top-p cut) sat
 * within `NEAR_REL` of a boundary, where the two may legitimately pick a neighbouring index.
 */
import { uniform } from '../rng';

const f = Math.fround;

/** Relative distance to a cumulative boundary below which GPU and reference may differ. */
export const NEAR_REL = 1e-5;

export interface SampleParams {
  /** CFG guidance t; 0 (or no uncond row) skips CFG. */
  guidance?: number;
  /** 0 = greedy (lowest index among the maxima). */
  temperature: number;
  /** 0 or ≥ V = off. */
  topK?: number;
  /** 0 or ≥ 1 = off. */
  topP?: number;
  seed: number;
  step: number;
  /** Draw position: posOffset + row. */
  pos: number;
}

export interface SampleResult {
  /** Index into the candidate range. */
  code: number;
  /** The draw or the top-p cut was within NEAR_REL of a boundary: `alternatives` are also acceptable. */
  near: boolean;
  /** Neighbouring kept indices acceptable when `near` (the top-p case accepts every kept index). */
  alternatives: number[];
}

/** l = (1+t)·cond − t·uncond in float32, as the GPU computes it. */
export function cfgCombineRef(cond: ArrayLike<number>, uncond: ArrayLike<number>, t: number): Float32Array {
  const a = f(1 + f(t));
  const out = new Float32Array(cond.length);
  for (let i = 0; i < cond.length; i++) out[i] = f(f(a * cond[i]) - f(f(t) * uncond[i]));
  return out;
}

/** Sample one row of V candidate logits (and the unconditional row for CFG). */
export function sampleRow(cond: ArrayLike<number>, uncond: ArrayLike<number> | null, p: SampleParams): SampleResult {
  const V = cond.length;
  const t = p.guidance ?? 0;
  const l = uncond && t !== 0 ? cfgCombineRef(cond, uncond, t) : Float32Array.from(cond);
  if (p.temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (l[i] > l[best]) best = i;
    return { code: best, near: false, alternatives: [] };
  }
  for (let i = 0; i < V; i++) l[i] = f(l[i] / p.temperature);

  // top-k: the k-th largest value counting repeats; ties at the threshold are kept.
  const kept = new Uint8Array(V).fill(1);
  const k = p.topK ?? 0;
  if (k > 0 && k < V) {
    const tauK = Float32Array.from(l).sort().reverse()[k - 1];
    for (let i = 0; i < V; i++) kept[i] = l[i] >= tauK ? 1 : 0;
  }

  // softmax over the kept set (the maximum is always kept).
  let m = -Infinity;
  for (let i = 0; i < V; i++) if (l[i] > m) m = l[i];
  const e = new Float32Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) {
    if (!kept[i]) continue;
    e[i] = f(Math.exp(f(l[i] - m)));
    sum = f(sum + e[i]);
  }

  // top-p: the largest τ among kept e with mass(e ≥ τ) ≥ p·Σe: the shortest descending prefix, ties kept.
  let near = false;
  let nearTopP = false;
  const topP = p.topP ?? 0;
  if (topP > 0 && topP < 1) {
    const thr = f(topP * sum);
    const desc = e.filter((_, i) => kept[i]).sort().reverse();
    let cum = 0;
    let tau = 0;
    for (let j = 0; j < desc.length; j++) {
      const before = cum;
      cum = f(cum + desc[j]);
      if (cum >= thr) {
        tau = desc[j];
        nearTopP = Math.abs(cum - thr) <= NEAR_REL * sum || Math.abs(before - thr) <= NEAR_REL * sum;
        break;
      }
    }
    for (let i = 0; i < V; i++) if (e[i] < tau) kept[i] = 0;
  }

  // draw: walk in index order, first running sum > target; none (rounding) → last kept index.
  let total = 0;
  let last = -1;
  for (let i = 0; i < V; i++) {
    if (!kept[i]) continue;
    total = f(total + e[i]);
    last = i;
  }
  const target = f(uniform(p.seed, p.step, p.pos) * total);
  let code = last;
  let run = 0;
  let start = 0;
  for (let i = 0; i < V; i++) {
    if (!kept[i]) continue;
    start = run;
    run = f(run + e[i]);
    if (run > target) {
      code = i;
      break;
    }
  }
  const tol = NEAR_REL * total;
  const alternatives: number[] = [];
  if (nearTopP) {
    near = true;
    for (let i = 0; i < V; i++) if (kept[i] || e[i] > 0) alternatives.push(i);
  } else if (Math.abs(run - target) <= tol || Math.abs(start - target) <= tol) {
    near = true;
    // the previous and the next kept entry with non-zero weight
    for (let i = code - 1; i >= 0; i--) if (kept[i] && e[i] > 0) { alternatives.push(i); break; }
    for (let i = code + 1; i < V; i++) if (kept[i] && e[i] > 0) { alternatives.push(i); break; }
  }
  return { code, near, alternatives: near ? alternatives : [] };
}

export interface SampleRefOptions extends Omit<SampleParams, 'pos'> {
  rows: number;
  V: number;
  /** Elements between rows. */
  rowStride: number;
  /** First candidate inside a row. */
  colOffset?: number;
  /** Element offset of the unconditional rows (CFG), same layout as the conditional ones. */
  uncondOffset?: number;
  posOffset?: number;
}

/** The reference for a whole recordSample call: one result per row. */
export function sampleRef(logits: Float32Array, o: SampleRefOptions): SampleResult[] {
  const col = o.colOffset ?? 0;
  const cfg = o.uncondOffset !== undefined && (o.guidance ?? 0) !== 0;
  const out: SampleResult[] = [];
  for (let r = 0; r < o.rows; r++) {
    const base = r * o.rowStride + col;
    const cond = logits.subarray(base, base + o.V);
    const uncond = cfg ? logits.subarray(o.uncondOffset! + base, o.uncondOffset! + base + o.V) : null;
    out.push(sampleRow(cond, uncond, { ...o, pos: ((o.posOffset ?? 0) + r) >>> 0 }));
  }
  return out;
}

/**
 * Bitwise sampling (sample_bits.wgsl): token r's bit j is sampleRow over its logit pair (2j, 2j+1), drawn at
 * position posOffset + r·d + j. Returns each bit's result (row-major [T, d]).
 */
export function sampleBitsRef(logits: Float32Array, o: Omit<SampleParams, 'pos'> & { T: number; d: number; rowStride?: number; uncondOffset?: number; posOffset?: number }): SampleResult[] {
  const stride = o.rowStride ?? 2 * o.d;
  const out: SampleResult[] = [];
  for (let r = 0; r < o.T; r++) {
    for (let j = 0; j < o.d; j++) {
      const at = r * stride + 2 * j;
      const cond = logits.subarray(at, at + 2);
      const uncond = o.uncondOffset === undefined ? null : logits.subarray(o.uncondOffset + at, o.uncondOffset + at + 2);
      out.push(sampleRow(cond, uncond, { ...o, pos: (o.posOffset ?? 0) + r * o.d + j }));
    }
  }
  return out;
}
