/**
 * Infinity goldens (tools/infinity_golden.py → e2e/goldens/infinity-tiny) read and compared, the same in Node
 * and the browser: a case's tensors from its safetensors bytes, packed bits per scale, and the parity lines
 * of the Infinity issue (teacher-forced: logits ≤ 1e-4 relative, next inputs and f̂ ≤ 1e-5, image ≤ 1e-3;
 * free-running greedy: every bit equal except at the reference's near ties).
 */
import { parseSafetensors, tensorToF32 } from '../../src/formats/safetensors';
import type { ScaleOutput } from '../../src/engine/scale-driver';

export interface InfinityGoldenCase {
  name: string;
  h_div_w: number;
  pn: string;
  scales: Array<[number, number]>;
  cfg: number;
  tau: number;
  top_k: number;
  top_p: number;
  logit_rows: number;
  tensors: string;
  png: string;
}

export interface InfinityGoldenIndex {
  model: string;
  vae: string;
  features: string;
  cases: InfinityGoldenCase[];
}

export interface InfinityGolden {
  bits: Uint8Array[];
  ties: Uint8Array[];
  /** Each token's bits packed into one integer (bit i = bit i of the code), per scale. */
  codes: number[][];
  logitsCond: Float32Array[];
  logitsUncond: Array<Float32Array | undefined>;
  next: Float32Array[];
  fhat: Float32Array;
  image: Float32Array;
}

export const RESOLUTION_OF_PN: Record<string, number> = { '0.06M': 256, '0.25M': 512, '0.60M': 768, '1M': 1024 };

export function readInfinityGolden(c: InfinityGoldenCase, bytes: Uint8Array, bitsPerToken: number): InfinityGolden {
  const h = parseSafetensors(c.tensors, bytes);
  const t = (name: string) => {
    const info = h.tensors.get(name);
    return info ? bytes.subarray(info.begin, info.begin + info.bytes) : undefined;
  };
  const f32 = (name: string) => {
    const info = h.tensors.get(name);
    return info ? tensorToF32(bytes.subarray(info.begin, info.begin + info.bytes), { ...info, begin: 0 }) : undefined;
  };
  const S = c.scales.length;
  const g: InfinityGolden = { bits: [], ties: [], codes: [], logitsCond: [], logitsUncond: [], next: [], fhat: f32('fhat')!, image: f32('image')! };
  for (let s = 0; s < S; s++) {
    const bits = t(`bits_${s}`)!;
    g.bits.push(bits);
    g.ties.push(t(`ties_${s}`)!);
    const n = bits.length / bitsPerToken;
    g.codes.push(Array.from({ length: n }, (_, r) => {
      let code = 0;
      for (let j = 0; j < bitsPerToken; j++) code |= bits[r * bitsPerToken + j] << j;
      return code >>> 0;
    }));
    g.logitsCond.push(f32(`logits_cond_${s}`)!);
    g.logitsUncond.push(f32(`logits_uncond_${s}`));
    if (s < S - 1) g.next.push(f32(`next_${s}`)!);
  }
  return g;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const peak = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

export const TOL = { logitsRel: 1e-4, next: 1e-5, fhat: 1e-5, image: 1e-3 };

/** Teacher-forced outputs against the golden: the problems found (empty when within every tolerance), and the worst errors. */
export function compareTeacherForced(g: InfinityGolden, outs: ScaleOutput[], o: { image?: boolean } = {}): { problems: string[]; worst: Record<string, number> } {
  const problems: string[] = [];
  const worst = { logitsRel: 0, next: 0, fhat: 0, image: 0 };
  if (outs.length !== g.bits.length) problems.push(`${outs.length} scales, expected ${g.bits.length}`);
  outs.forEach((o, s) => {
    if (!o.logits) return problems.push(`scale ${s}: no logits captured`);
    for (const [got, want, which] of [[o.logits.cond, g.logitsCond[s], 'cond'], [o.logits.uncond, g.logitsUncond[s], 'uncond']] as const) {
      if (!want && !got) continue;
      if (!want || !got) {
        problems.push(`scale ${s}: ${which} logits ${got ? 'unexpected' : 'missing'}`);
        continue;
      }
      const rel = maxAbs(got, want) / peak(want);
      worst.logitsRel = Math.max(worst.logitsRel, rel);
      if (!(rel <= TOL.logitsRel)) problems.push(`scale ${s}: ${which} logits relative error ${rel.toExponential(2)} > ${TOL.logitsRel}`);
    }
    if (s < outs.length - 1) {
      const e = o.nextInput ? maxAbs(o.nextInput, g.next[s]) : Infinity;
      worst.next = Math.max(worst.next, e);
      if (!(e <= TOL.next)) problems.push(`scale ${s}: next-scale input error ${e.toExponential(2)} > ${TOL.next}`);
    }
  });
  const last = outs[outs.length - 1];
  const ef = last?.fhat ? maxAbs(last.fhat, g.fhat) : Infinity;
  // The decoder's output is clamped to [−1, 1] (the GPU packs it to RGBA and clamps there).
  const ei = last?.image ? maxAbs(last.image.map((x) => Math.min(1, Math.max(-1, x))), g.image) : Infinity;
  worst.fhat = ef;
  worst.image = ei;
  if (!(ef <= TOL.fhat)) problems.push(`f̂ error ${ef.toExponential(2)} > ${TOL.fhat}`);
  if (o.image !== false && !(ei <= TOL.image)) problems.push(`decoded image error ${ei.toExponential(2)} > ${TOL.image}`);
  return { problems, worst };
}

/**
 * Free-running greedy codes against the golden: equal bits at every scale, except at the reference's near ties.
 * A near tie that went the other way changes everything after it, so scales after that one are not compared.
 */
export function compareGreedy(g: InfinityGolden, codes: number[][], bitsPerToken: number): { problems: string[]; tiesFlipped: number; comparedScales: number } {
  const problems: string[] = [];
  let tiesFlipped = 0;
  let s = 0;
  for (; s < g.bits.length; s++) {
    const got = codes[s];
    if (!got || got.length !== g.codes[s].length) {
      problems.push(`scale ${s}: ${got?.length ?? 0} tokens, expected ${g.codes[s].length}`);
      break;
    }
    let off = 0;
    for (let r = 0; r < got.length; r++) {
      for (let j = 0; j < bitsPerToken; j++) {
        const bit = (got[r] >>> j) & 1;
        if (bit === g.bits[s][r * bitsPerToken + j]) continue;
        if (g.ties[s][r * bitsPerToken + j]) tiesFlipped++;
        else off++;
      }
    }
    if (off) problems.push(`scale ${s}: ${off} bits differ away from near ties`);
    if (off || tiesFlipped) break;
  }
  return { problems, tiesFlipped, comparedScales: Math.min(s + 1, g.bits.length) };
}
