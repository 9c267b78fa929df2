/**
 * Infinity's text-conditioned next-scale loop on WebGPU (tools/reference/infinity.py `infer`), one step per scale:
 *   scale 0: the text conditioning (transformer.ts recordInfinityText), whose start token is the input;
 *   forward over the scale's tokens on the KV cache, then per bit CFG / τ / top-k / top-p and a draw
 *   (sample_bits), giving the packed codes and the BSQ code map ±1/√d;
 *   f̂ += bilinear(code map → final grid); the next input word_embed(bilinear(f̂ → next grid)) + lvl_embed,
 *   the same for every CFG row.
 * Scheduled only: the engine's scale driver runs each scale and reads back its codes and preview.
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { uploadBuffer, writeBuffer } from '../../gpu/buffers';
import { imageStep } from '../../kernels/rng';
import { recordLinear } from '../../kernels/matmul';
import { recordResizeBilinear } from '../../kernels/resize_bilinear';
import { recordSampleBits } from '../../kernels/sample_bits';
import { interleaveCosSin } from '../../kernels/rope_pairs';
import type { ImageSampling, ImageSteps } from '../family';
import type { ConvDecoder } from '../conv-decoder';
import type { InfinityModel } from './model';
import { ropeTables, scheduleGeometry, type InfinitySchedule } from './schedule';
import { InfinityWorkspace, recordInfinityForward, recordInfinityText } from './transformer';

export class InfinityImageSteps implements ImageSteps {
  readonly grids: readonly number[];
  readonly shapes: ReadonlyArray<readonly [number, number]>;
  readonly imageSize: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  private readonly ws: InfinityWorkspace;
  private readonly begins: number[];
  private readonly codes: GPUBuffer;
  private readonly codeMap: GPUBuffer;
  private readonly fhat: GPUBuffer;
  private readonly tok: GPUBuffer;
  private readonly rope: GPUBuffer;
  private readonly decoder: ConvDecoder;
  private readonly forced = new Map<number, ArrayLike<number>>();
  /** Elements of the latest next-scale input in `tok`. */
  private nextElems = 0;

  constructor(
    private ctx: GpuContext,
    private m: InfinityModel,
    feats: Float32Array,
    textLen: number,
    private schedule: InfinitySchedule,
    private smp: ImageSampling,
  ) {
    const { arch: a, vae } = m.config;
    const g = scheduleGeometry(schedule, vae.chMult.length);
    ({ shapes: this.shapes, grids: this.grids, imageHeight: this.imageHeight, imageWidth: this.imageWidth, imageSize: this.imageSize, begins: this.begins } = g);
    const [H, W] = schedule.scales[schedule.scales.length - 1];
    const n = schedule.tokens;
    const maxT = g.maxT;
    const B = smp.cfg !== 1 ? 2 : 1; // CFG 1 needs no negative row (the official loop drops it too)
    this.ws = new InfinityWorkspace(ctx, a, B, textLen, maxT, n);
    const pool = ctx.pool;
    this.codes = pool.acquire(n * 4, 'inf-codes');
    this.codeMap = pool.acquire(a.bits * maxT * 4, 'inf-code-map');
    this.fhat = pool.acquire(a.bits * H * W * 4, 'inf-fhat');
    this.tok = pool.acquire(maxT * a.bits * 4, 'inf-next-input');
    const { cos, sin } = ropeTables(schedule, a.headDim);
    this.rope = uploadBuffer(ctx, interleaveCosSin(cos, sin), 'inf-rope');
    this.decoder = m.decoder(H, W);
    // The text rows: the prompt's features, and with CFG the learned negative cfg_uncond[:L].
    const Ct = a.textDim;
    const rows = new Float32Array(B * textLen * Ct);
    rows.set(feats.subarray(0, textLen * Ct), 0);
    if (B === 2) rows.set(m.cfgUncond.subarray(0, textLen * Ct), textLen * Ct);
    writeBuffer(ctx, this.ws.feats, rows);
  }

  /** For goldens: use these codes (packed bits, one per token) at scale s instead of sampling. */
  teacherForce(s: number, codes: ArrayLike<number>): void {
    this.forced.set(s, codes);
  }

  scheduleScale(rec: Recorder, si: number): GpuOutput {
    const m = this.m;
    const a = m.config.arch;
    const { bits: d, dim: C } = a;
    const S = this.shapes.length;
    const [h, w] = this.shapes[si];
    const [H, W] = this.shapes[S - 1];
    const T = h * w;
    const start = this.begins[si];
    const { ws, codes, codeMap, fhat, tok } = this;
    if (si === 0) {
      recordInfinityText(rec, m.w, ws);
      rec.clear(fhat, 0, d * H * W * 4);
    }
    recordInfinityForward(rec, m.w, ws, T, start, this.rope);
    const forced = this.forced.get(si);
    if (forced) writeBuffer(this.ctx, codes, Uint32Array.from(forced), start * 4); // before this scale's commands run
    const { temperature, topK, topP, seed, cfg } = this.smp;
    recordSampleBits(rec, ws.logits, codes, codeMap, {
      T, d, uncondOffset: ws.B === 2 ? T * 2 * d : undefined, guidance: cfg - 1, temperature, topK, topP, seed, step: imageStep(0, si),
      outOffset: start, forced: !!forced,
    });
    recordResizeBilinear(rec, { x: codeMap, out: fhat, B: 1, C: d, inH: h, inW: w, outH: H, outW: W, accumulate: true });
    if (si < S - 1) {
      const [h2, w2] = this.shapes[si + 1];
      const T2 = h2 * w2;
      recordResizeBilinear(rec, { x: fhat, out: tok, B: 1, C: d, inH: H, inW: W, outH: h2, outW: w2, layout: 'tokens' });
      this.nextElems = T2 * d;
      const we = m.w.wordEmbed;
      const weights = { dtype: we.dtype, w: { buffer: we.buffer, offset: we.offset }, bias: { buffer: m.w.tables, offset: m.w.at.wordBias + (si + 1) * C } };
      for (let b = 0; b < ws.B; b++) recordLinear(rec, { M: T2, K: d, N: C, x: { buffer: tok }, weights, y: { buffer: ws.x, offset: b * T2 * C } });
    }
    return { buffer: codes, offset: start * 4, bytes: T * 4 };
  }

  schedulePreview(rec: Recorder): GpuOutput {
    return this.decoder.schedule(rec, this.fhat);
  }

  imageOutput(): GpuOutput {
    return this.decoder.imageOutput();
  }

  nextInputOutput(): GpuOutput {
    return { buffer: this.tok, offset: 0, bytes: this.nextElems * 4 };
  }

  logitsOutputs(s: number, rows: number): { cond: GpuOutput; uncond?: GpuOutput } {
    const V = 2 * this.m.config.arch.bits;
    const [h, w] = this.shapes[s];
    const T = h * w;
    return {
      cond: { buffer: this.ws.logits, offset: 0, bytes: rows * V * 4 },
      ...(this.ws.B === 2 ? { uncond: { buffer: this.ws.logits, offset: T * V * 4, bytes: rows * V * 4 } } : {}),
    };
  }

  fhatOutput(): GpuOutput {
    const [H, W] = this.shapes[this.shapes.length - 1];
    return { buffer: this.fhat, offset: 0, bytes: this.m.config.arch.bits * H * W * 4 };
  }

  release(): void {
    this.ws.release();
    for (const b of [this.codes, this.codeMap, this.fhat, this.tok]) this.ctx.pool.release(b);
    this.rope.destroy();
  }
}
