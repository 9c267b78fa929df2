/**
 * One sequence on a NextFlow decoder's step graph (step-graph.ts): B rows (the CFG pair, or one), a KV
 * cache held as onnxruntime tensors between steps, and the per-step inputs the graph takes — token ids,
 * block features, the scale of each token, the RoPE tables and the attention mask — built here from
 * what the family's steps say: text runs are causal, an image block sees itself whole.
 */
import type * as Ort from 'onnxruntime-web';
import type { NextFlowArch } from '../../../models/nextflow/config';
import type { OrtModule } from '../runtime';

export interface StepInput {
  /** Token ids per row, B·T (image blocks: any id, the features are used). */
  ids: ArrayLike<number>;
  /** Block features [T, C], the same for every row; absent for text. */
  feats?: Float32Array;
  /** −1 text, 0 the closing block, s ≥ 1 image block s. */
  scale: number;
  /** RoPE positions [T, 3] (models/… rope-positions). */
  positions: Float32Array;
  /** 'causal' for text, 'block' for an image block (every token of the block sees the whole block). */
  mask: 'causal' | 'block';
}

/** inv_freq_j = θ^(−2j/hd) rounded to f32, as the WebGPU rope kernel gets it from the host. */
function inverseFrequencies(a: NextFlowArch): Float32Array {
  return Float32Array.from({ length: a.headDim / 2 }, (_, j) => Math.fround(a.ropeTheta ** (-(2 * j) / a.headDim)));
}

export class NextFlowSequence {
  /** Tokens in the KV cache. */
  length = 0;
  private past: Record<string, Ort.Tensor> = {};
  private readonly invFreq: Float32Array;
  private readonly axisOf: Uint8Array;

  constructor(
    private ort: OrtModule,
    private session: Ort.InferenceSession,
    private a: NextFlowArch,
    private codeDim: number,
    readonly B: number,
  ) {
    this.invFreq = inverseFrequencies(a);
    const [s0, s1] = a.ropeSections;
    this.axisOf = Uint8Array.from({ length: a.headDim / 2 }, (_, j) => (j < s0 ? 0 : j < s0 + s1 ? 1 : 2));
    this.truncate(0);
  }

  /** Run T new tokens per row on top of the cache; returns the logits [B, T, vocab]. */
  async forward(x: StepInput): Promise<Float32Array> {
    const { ort, B } = this;
    const T = x.positions.length / 3;
    const P = this.length;
    const C = this.codeDim;
    const hd = this.a.headDim;
    const half = hd / 2;
    const cos = new Float32Array(B * T * hd);
    const sin = new Float32Array(B * T * hd);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < half; j++) {
        const ang = Math.fround(x.positions[3 * t + this.axisOf[j]] * this.invFreq[j]);
        const c = Math.cos(ang);
        const s = Math.sin(ang);
        cos[t * hd + j] = cos[t * hd + j + half] = c;
        sin[t * hd + j] = sin[t * hd + j + half] = s;
      }
    }
    for (let b = 1; b < B; b++) {
      cos.copyWithin(b * T * hd, 0, T * hd);
      sin.copyWithin(b * T * hd, 0, T * hd);
    }
    const PT = P + T;
    const mask = new Float32Array(B * T * PT);
    if (x.mask === 'causal') for (let q = 0; q < T; q++) mask.fill(-Infinity, q * PT + P + q + 1, (q + 1) * PT);
    for (let b = 1; b < B; b++) mask.copyWithin(b * T * PT, 0, T * PT);
    const feats = new Float32Array(B * T * C);
    if (x.feats) for (let b = 0; b < B; b++) feats.set(x.feats.subarray(0, T * C), b * T * C);
    const ids = new BigInt64Array(B * T);
    for (let i = 0; i < B * T; i++) ids[i] = BigInt(x.ids[i] ?? 0);
    const out = await this.session.run({
      ids: new ort.Tensor('int64', ids, [B, T]),
      scale: new ort.Tensor('int64', new BigInt64Array(B * T).fill(BigInt(x.scale)), [B, T]),
      feats: new ort.Tensor('float32', feats, [B, T, C]),
      cos: new ort.Tensor('float32', cos, [B, T, hd]),
      sin: new ort.Tensor('float32', sin, [B, T, hd]),
      mask: new ort.Tensor('float32', mask, [B, 1, T, PT]),
      ...this.past,
    });
    const past: Record<string, Ort.Tensor> = {};
    for (let l = 0; l < this.a.layers; l++) {
      past[`past_key_${l}`] = out[`present_key_${l}`];
      past[`past_value_${l}`] = out[`present_value_${l}`];
    }
    this.past = past;
    this.length = PT;
    return out.logits.data as Float32Array;
  }

  /** Keep the first `n` tokens of the cache (a later chat turn keeps the prefix it shares). */
  truncate(n: number): void {
    const { B } = this;
    const KV = this.a.kvHeads;
    const hd = this.a.headDim;
    const P = this.length;
    const past: Record<string, Ort.Tensor> = {};
    for (let l = 0; l < this.a.layers; l++) {
      for (const kind of ['key', 'value']) {
        const name = `past_${kind}_${l}`;
        const have = this.past[name]?.data as Float32Array | undefined;
        const data = new Float32Array(B * KV * n * hd);
        if (have && n > 0) for (let r = 0; r < B * KV; r++) data.set(have.subarray(r * P * hd, r * P * hd + n * hd), r * n * hd);
        past[name] = new this.ort.Tensor('float32', data, [B, KV, n, hd]);
      }
    }
    this.past = past;
    this.length = n;
  }
}
