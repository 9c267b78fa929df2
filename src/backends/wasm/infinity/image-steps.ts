/**
 * Infinity's text-conditioned next-scale loop on the CPU backend (tools/reference/infinity.py `infer`):
 * the text graph once (pool → condition and AdaLN vectors, each block's cross-attention keys/values), then
 * per scale the step graph on the KV cache for both CFG rows (the prompt, the learned negative), one
 * sampled bit per logit pair (logits/τ, CFG cfg·c + (1−cfg)·u, top-k/top-p per bit, one draw per bit:
 * sample.ts with V = 2), the bits as BSQ codes ±1/√d, f̂ += bilinear(codes → final grid), and the next
 * scale's input bilinear(f̂ → next grid) (glue in TypeScript: a few thousand values per scale).
 */
import type * as Ort from 'onnxruntime-web';
import { imageStep } from '../../../kernels/rng';
import type { ImageSampling, ImageSteps } from '../../../models/family';
import type { InfinitySchedule } from '../../../models/infinity/schedule';
import { ropeTables, scheduleGeometry } from '../../../models/infinity/schedule';
import type { WasmOutput, WasmWork } from '../backend';
import { imageToRgba, resizeBilinear } from '../cpu-ops';
import { CpuSampler } from '../sample';
import type { WasmInfinityModel } from './model';

export class WasmInfinityImageSteps implements ImageSteps<WasmWork, WasmOutput> {
  readonly grids: readonly number[];
  readonly shapes: ReadonlyArray<readonly [number, number]>;
  readonly imageSize: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  /** Each token's bits packed into a u32 (bit i = bit i of the code). */
  readonly codes: Uint32Array;
  /** f̂ [d, H, W]. */
  readonly fhat: Float32Array;
  private readonly begins: number[];
  private readonly B: number;
  private readonly cos: Float32Array;
  private readonly sin: Float32Array;
  private text: Record<string, Ort.Tensor> | null = null;
  private cache: Record<string, Ort.Tensor> = {};
  private tok: Float32Array;
  private base: Float32Array;
  private logits: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private rgba: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private image: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private forced = new Map<number, ArrayLike<number>>();
  private readonly sampler = new CpuSampler();

  constructor(
    private m: WasmInfinityModel,
    private feats: Float32Array,
    private textLen: number,
    private schedule: InfinitySchedule,
    private smp: ImageSampling,
  ) {
    const { arch: a, vae } = m.config;
    ({ shapes: this.shapes, grids: this.grids, imageHeight: this.imageHeight, imageWidth: this.imageWidth, imageSize: this.imageSize, begins: this.begins } = scheduleGeometry(schedule, vae.chMult.length));
    const [H, W] = schedule.scales[schedule.scales.length - 1];
    const n = schedule.tokens;
    this.codes = new Uint32Array(n);
    this.fhat = new Float32Array(a.bits * H * W);
    this.B = smp.cfg !== 1 ? 2 : 1; // CFG 1 needs no negative row (the official loop drops it too)
    ({ cos: this.cos, sin: this.sin } = ropeTables(schedule, a.headDim));
    this.tok = new Float32Array(this.B * a.bits);
    this.base = new Float32Array(this.B * a.dim);
    const empty = () => new m.ort.Tensor('float32', new Float32Array(0), [this.B, a.heads, 0, a.headDim]);
    for (let l = 0; l < a.depth; l++) Object.assign(this.cache, { [`past_key_${l}`]: empty(), [`past_value_${l}`]: empty() });
  }

  /** For goldens: use these codes (packed bits, one per token) at scale s instead of sampling. */
  teacherForce(s: number, codes: ArrayLike<number>): void {
    this.forced.set(s, codes);
  }

  scheduleScale(work: WasmWork, si: number): WasmOutput {
    const start = this.begins[si];
    const [h, w] = this.shapes[si];
    const T = h * w;
    work.ops.push(async () => {
      const m = this.m;
      const { arch: a } = m.config;
      const { dim: C, bits: d } = a;
      const B = this.B;
      const F = (data: Float32Array, dims: number[]) => new m.ort.Tensor('float32', data, dims);
      if (si === 0) await this.runText();
      const half = a.headDim / 2;
      const out = await m.s.step.run({
        ...this.text!, ...this.cache,
        tok: F(this.tok, [B, T, d]), base: F(this.base, [B, T, C]), word: F(Float32Array.of(si === 0 ? 0 : 1), []),
        cos: F(this.cos.subarray(start * half, (start + T) * half), [T, half]), sin: F(this.sin.subarray(start * half, (start + T) * half), [T, half]),
      });
      for (let l = 0; l < a.depth; l++) {
        this.cache[`past_key_${l}`] = out[`present_key_${l}`];
        this.cache[`past_value_${l}`] = out[`present_value_${l}`];
      }
      this.logits = out.logits.data as Float32Array;
      this.sampleBits(si, start, T);
      this.accumulate(si, start, h, w);
    });
    return () => this.codes.subarray(start, start + T);
  }

  private async runText(): Promise<void> {
    const m = this.m;
    const { arch: a } = m.config;
    const { dim: C, textDim: Ct } = a;
    const Lt = this.textLen;
    const rows = new Float32Array(this.B * Lt * Ct);
    rows.set(this.feats.subarray(0, Lt * Ct), 0);
    if (this.B === 2) rows.set(m.cfgUncond.subarray(0, Lt * Ct), Lt * Ct);
    this.text = (await m.s.text.run({ feats: new m.ort.Tensor('float32', rows, [this.B, Lt, Ct]) })) as Record<string, Ort.Tensor>;
    const cond = this.text.cond.data as Float32Array;
    delete this.text.cond; // the step graph takes gss, head_ada and the cross-attention keys/values
    // The start token: the pooled condition + pos_start + the level embedding of scale 0.
    for (let b = 0; b < this.B; b++) for (let c = 0; c < C; c++) this.base[b * C + c] = cond[b * C + c] + m.posStart[c] + m.lvlEmbed[c];
  }

  /** Bits of scale si from its logits [B, T, 2d] (or the forced codes), packed into this.codes. */
  private sampleBits(si: number, start: number, T: number): void {
    const d = this.m.config.arch.bits;
    const forced = this.forced.get(si);
    if (forced) {
      for (let r = 0; r < T; r++) this.codes[start + r] = forced[r] >>> 0;
      return;
    }
    const L = this.logits;
    const twoD = 2 * d;
    const o = {
      V: 2, guidance: this.B === 2 ? this.smp.cfg - 1 : 0, temperature: this.smp.temperature,
      topK: this.smp.topK, topP: this.smp.topP, seed: this.smp.seed, step: imageStep(0, si),
    };
    for (let r = 0; r < T; r++) {
      let code = 0;
      for (let j = 0; j < d; j++) {
        const at = r * twoD + 2 * j;
        const bit = this.sampler.row(o, L, at, this.B === 2 ? L : null, T * twoD + at, r * d + j);
        code |= bit << j;
      }
      this.codes[start + r] = code >>> 0;
    }
  }

  /** f̂ += bilinear(codes of scale si → final grid); the next scale's input tokens and base. */
  private accumulate(si: number, start: number, h: number, w: number): void {
    const { arch: a } = this.m.config;
    const { bits: d, dim: C } = a;
    const S = this.shapes.length;
    const [H, W] = this.shapes[S - 1];
    const T = h * w;
    const code = new Float32Array(d * T);
    const v = 1 / Math.sqrt(d);
    for (let r = 0; r < T; r++) {
      const bits = this.codes[start + r];
      for (let j = 0; j < d; j++) code[j * T + r] = (bits >>> j) & 1 ? v : -v;
    }
    resizeBilinear(code, d, h, w, H, W, 'nchw', this.fhat, true);
    if (si === S - 1) return;
    const [h2, w2] = this.shapes[si + 1];
    const T2 = h2 * w2;
    const B = this.B;
    const next = new Float32Array(T2 * d);
    resizeBilinear(this.fhat, d, H, W, h2, w2, 'tokens', next);
    this.tok = new Float32Array(B * T2 * d);
    for (let b = 0; b < B; b++) this.tok.set(next, b * T2 * d);
    this.base = new Float32Array(B * T2 * C);
    const lvl = this.m.lvlEmbed.subarray((si + 1) * C, (si + 2) * C);
    for (let i = 0; i < B * T2; i++) this.base.set(lvl, i * C);
  }

  /** The next scale's input tokens [h'·w', d] (valid after scale s ran, for s < S − 1). */
  nextInputOutput(): WasmOutput {
    return () => this.tok.subarray(0, this.tok.length / this.B);
  }

  schedulePreview(work: WasmWork): WasmOutput {
    work.ops.push(async () => {
      const { bits: d } = this.m.config.arch;
      const [H, W] = this.shapes[this.shapes.length - 1];
      const out = await this.m.s.decoder.run({ fhat: new this.m.ort.Tensor('float32', this.fhat, [1, d, H, W]) });
      const img = out.image.data as Float32Array;
      this.image = img.map((x) => Math.min(1, Math.max(-1, x)));
      this.rgba = imageToRgba(img, out.image.dims[2], out.image.dims[3]);
    });
    return () => this.rgba;
  }

  /** For goldens: the last decoded image, f32 [3, H, W] clamped to [−1, 1]. */
  imageOutput(): WasmOutput {
    return () => this.image;
  }

  logitsOutputs(s: number, rows: number): { cond: WasmOutput; uncond?: WasmOutput } {
    const V = 2 * this.m.config.arch.bits;
    const [h, w] = this.shapes[s];
    const T = h * w;
    return {
      cond: () => this.logits.subarray(0, rows * V),
      ...(this.B === 2 ? { uncond: () => this.logits.subarray(T * V, (T + rows) * V) } : {}),
    };
  }

  fhatOutput(): WasmOutput {
    return () => this.fhat;
  }

  release(): void {
    this.cache = {};
    this.text = null;
  }
}
