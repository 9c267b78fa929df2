/**
 * Comparing a VAR generation with a golden case of tools/var_golden.py (greedy, top-k 1): the codes
 * of every scale equal; the CFG-combined logits of the first rows of each scale within
 * LOGIT_TOL_OF_MAX of their magnitude; the final f̂ close. Shared by the Node runner, the CLI test
 * and the browser test.
 */
import { compareCodes, LOGIT_TOL_OF_MAX } from './compare';

export interface VarGoldenCase {
  class: number;
  cfg: number;
  top_k: number;
  top_p: number;
  seed: number;
  scales: number[][];
  /** Per scale: the first min(4, pn²) rows of the CFG-combined logits, each all V values. */
  logits: number[][][];
  fhat_first: number[];
  fhat_sum: number;
}

export interface VarGeneratedScale {
  codes: number[];
  logits?: { cond: Float32Array; uncond?: Float32Array; rows: number };
  fhat?: Float32Array;
}

/** f̂ is a sum of 4–10 Phi convs of codebook rows: f32 on both sides, so it agrees closely. */
export const FHAT_TOL = 1e-3;

export function compareVarCase(g: VarGoldenCase, outs: VarGeneratedScale[]): string[] {
  const problems: string[] = [];
  const S = g.scales.length;
  if (outs.length !== S) problems.push(`generated ${outs.length} scales, golden has ${S}`);
  for (let s = 0; s < Math.min(outs.length, S); s++) {
    problems.push(...compareCodes(s, outs[s].codes, g.scales[s]));
    const lg = outs[s].logits;
    const rows = g.logits[s];
    if (!lg || !lg.uncond) {
      problems.push(`scale ${s}: no ${lg ? 'uncond ' : ''}logits captured`);
      continue;
    }
    const uncond = lg.uncond;
    const t = g.cfg * (S > 1 ? s / (S - 1) : 0);
    const V = lg.cond.length / lg.rows;
    let worst = 0;
    let maxAbs = 0;
    rows.forEach((row, r) =>
      row.forEach((v, j) => {
        const mine = (1 + t) * lg.cond[r * V + j] - t * uncond[r * V + j];
        worst = Math.max(worst, Math.abs(mine - v));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }),
    );
    const tol = LOGIT_TOL_OF_MAX * Math.max(maxAbs, 1);
    if (!(worst <= tol)) problems.push(`scale ${s}: CFG logits off by ${worst.toExponential(2)} (> ${tol.toExponential(2)})`);
    if (problems.length && s === 0) break;
  }
  const fhat = outs[outs.length - 1]?.fhat;
  if (!fhat) problems.push('no final f̂ captured');
  else {
    const worst = g.fhat_first.reduce((w, v, i) => Math.max(w, Math.abs(fhat[i] - v)), 0);
    if (!(worst <= FHAT_TOL * Math.max(1, ...g.fhat_first.map(Math.abs)))) problems.push(`f̂ off by ${worst.toExponential(2)} in its first ${g.fhat_first.length} values`);
    const sum = fhat.reduce((a, b) => a + b, 0);
    if (!(Math.abs(sum - g.fhat_sum) <= FHAT_TOL * Math.max(1, Math.abs(g.fhat_sum)) * 10)) problems.push(`f̂ sum ${sum} vs golden ${g.fhat_sum}`);
  }
  return problems;
}
