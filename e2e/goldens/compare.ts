/**
 * Comparing a generation with a PyTorch golden case (tools/golden.py): codes of every scale must be
 * equal; the captured raw logits (first rows of each scale, cond and uncond) within LOGIT_TOL_OF_MAX of their magnitude.
 * Used by the Node runner and the browser e2e test alike.
 */
export interface GoldenCase {
  prompt: string;
  token_ids: number[];
  seed: number;
  sampling: { cfg: number; top_k: number; top_p: number; temperature: number };
  scales: number[][];
  logits: Array<{ cond: number[][]; uncond?: number[][] }>;
}

export interface GeneratedScale {
  codes: number[];
  logits?: { cond: Float32Array; uncond?: Float32Array; rows: number };
}

/**
 * Both sides use the same f16 weights in f32, but sums run in another order through every layer.
 * Measured 2026-11-29 on SwiftShader: ≤ 1.8e-6·max|logit| for text-to-image, 3.3e-6 in chat (up to
 * ~420 tokens), 1.3e-6 for VAR. The bound leaves 15× of that for other GPUs' sum orders; it is tight
 * enough to catch a kernel that is merely close (the built-in sin/cos in RoPE, 1.9e-4 off on
 * SwiftShader, put the model at 1.4e-4 and long chats at 9.7e-4).
 */
export const LOGIT_TOL_OF_MAX = 5e-5;

/** The decoder runs in f32 from f16 weights on both sides; pixels may round differently by a few levels. */
export const IMAGE_MAX_DIFF = 3;

/** Codes of one scale must be equal, element for element. */
export function compareCodes(s: number, got: number[], want: number[]): string[] {
  const diff = want.reduce((n, c, i) => n + (got[i] !== c ? 1 : 0), 0);
  return diff || got.length !== want.length ? [`scale ${s}: ${diff}/${want.length} codes differ (first: got ${got.slice(0, 8)} want ${want.slice(0, 8)})`] : [];
}

export function compareGoldenCase(g: GoldenCase, outs: GeneratedScale[]): string[] {
  const problems: string[] = [];
  if (outs.length !== g.scales.length) problems.push(`generated ${outs.length} scales, golden has ${g.scales.length}`);
  for (let s = 0; s < Math.min(outs.length, g.scales.length); s++) {
    problems.push(...compareCodes(s, outs[s].codes, g.scales[s]));
    const lg = outs[s].logits;
    const gl = g.logits[s];
    if (gl && !lg) problems.push(`scale ${s}: no logits captured (the golden has them)`);
    if (lg && gl) {
      for (const which of ['cond', 'uncond'] as const) {
        const rows = gl[which];
        const mine = lg[which];
        if (!rows) continue;
        if (!mine) {
          problems.push(`scale ${s}: no ${which} logits captured`);
          continue;
        }
        const V = mine.length / lg.rows;
        let worst = 0;
        let maxAbs = 0;
        rows.forEach((row, r) =>
          row.forEach((v, j) => {
            worst = Math.max(worst, Math.abs(mine[r * V + j] - v));
            maxAbs = Math.max(maxAbs, Math.abs(v));
          }),
        );
        const tol = LOGIT_TOL_OF_MAX * Math.max(maxAbs, 1);
        if (!(worst <= tol)) problems.push(`scale ${s}: ${which} logits off by ${worst.toExponential(2)} (> ${tol.toExponential(2)} = ${LOGIT_TOL_OF_MAX}·max|logit|)`);
      }
    }
    if (problems.length && s === 0) break;
  }
  return problems;
}

/** Largest per-channel difference and the mean absolute difference of two RGBA images. */
export function imageDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ((a.length / 4) * 3) };
}
