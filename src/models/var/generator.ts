/**
 * VAR's class-conditional next-scale loop (VAR_SPEC.md §1–3), one step per scale:
 *   scale 0 input: class_emb[label] + pos_start + lvl_embed[0] + pos_1LC[0] (row 1: the null class);
 *   forward over the scale's tokens on the KV cache, CFG with t = cfg·si/(S−1) and top-k/top-p on the GPU;
 *   f̂ += Phi_k(bicubic(E[codes] → g)) (no resize at the last scale);
 *   the next input: word_embed(area(f̂ → next grid)) + pos_1LC + lvl_embed, the same for both rows.
 * Scheduled only: the engine's scale driver runs each scale and reads back its codes and preview.
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { writeBuffer } from '../../gpu/buffers';
import { imageStep } from '../../kernels/rng';
import { recordCodebookGather } from '../../kernels/codebook_gather';
import { recordResizeBicubic } from '../../kernels/resize_bicubic';
import { recordResizeArea } from '../../kernels/resize_area';
import { recordPhiResidualUpdate } from '../../kernels/conv2d';
import { recordLinear } from '../../kernels/matmul';
import { recordSample } from '../../kernels/sample';
import type { ImageSampling, ImageSteps } from '../family';
import type { VarModel } from './model';
import { convWeightOffset } from './vae-decoder';
import { VarWorkspace, recordVarAda, recordVarForward } from './transformer';

const silu = (x: number) => x / (1 + Math.exp(-x));

/**
 * The condition of both CFG rows (the class, then the null class), on the CPU, for either backend:
 * SiLU(class embedding) [2, C] for every ada_lin, and the scale-0 input [2, C] (class token + pos + lvl).
 */
export function varClassRows(m: { classEmb: Float32Array; firstTokenBias: Float32Array }, C: number, classLabel: number, nullClass: number): { condSilu: Float32Array; x0: Float32Array } {
  const condSilu = new Float32Array(2 * C);
  const x0 = new Float32Array(2 * C);
  [classLabel, nullClass].forEach((label, b) => {
    for (let c = 0; c < C; c++) {
      const e = m.classEmb[label * C + c];
      condSilu[b * C + c] = silu(e);
      x0[b * C + c] = e + m.firstTokenBias[c];
    }
  });
  return { condSilu, x0 };
}

export class VarImageSteps implements ImageSteps {
  readonly grids: readonly number[];
  readonly imageSize: number;
  private readonly ws: VarWorkspace;
  private readonly codes: GPUBuffer;
  private readonly h: GPUBuffer;
  private readonly hUp: GPUBuffer;
  private readonly fhat: GPUBuffer;
  private readonly tok: GPUBuffer;

  constructor(
    private ctx: GpuContext,
    private m: VarModel,
    classLabel: number,
    private smp: ImageSampling,
  ) {
    const { arch: a, vae, scales } = m.config;
    this.grids = scales;
    this.imageSize = m.config.imageSize;
    const C = a.dim;
    const z = vae.zChannels;
    const g = scales[scales.length - 1];
    const maxT = Math.max(...scales.map((p) => p * p));
    this.ws = new VarWorkspace(ctx, a, maxT, m.totalTokens, vae.vocabSize);
    const pool = ctx.pool;
    this.codes = pool.acquire(m.totalTokens * 4, 'var-codes');
    this.h = pool.acquire(z * g * g * 4, 'var-h');
    this.hUp = pool.acquire(z * g * g * 4, 'var-h-up');
    this.fhat = pool.acquire(z * g * g * 4, 'var-fhat');
    this.tok = pool.acquire(maxT * z * 4, 'var-next-input');
    const { condSilu, x0 } = varClassRows(m, C, classLabel, a.numClasses);
    writeBuffer(ctx, this.ws.condSilu, condSilu);
    writeBuffer(ctx, this.ws.x, x0);
  }

  scheduleScale(rec: Recorder, si: number): GpuOutput {
    const m = this.m;
    const { vae, scales } = m.config;
    const S = scales.length;
    const V = vae.vocabSize;
    const z = vae.zChannels;
    const g = scales[S - 1];
    const p = scales[si];
    const T = p * p;
    const start = m.begins[si];
    const { ws, codes, h, hUp, fhat, tok } = this;
    if (si === 0) recordVarAda(rec, m.blocks, ws);
    recordVarForward(rec, m.blocks, ws, T, start, V);
    const guidance = this.smp.cfg * (S > 1 ? si / (S - 1) : 0);
    const { temperature, topK, topP, seed } = this.smp;
    recordSample(rec, ws.logits, codes, { rows: T, V, rowStride: V, uncondOffset: T * V, guidance, temperature, topK, topP, seed, step: imageStep(0, si), outOffset: start });
    // f̂ += Phi_k(h), h = E[codes] resized to the final grid.
    recordCodebookGather(rec, { codes, codesOffset: start, codebook: m.codebook.buffer, codebookOffset: m.codebook.offset, out: h, B: 1, h: p, w: p, V, C: z, layout: 'nchw' });
    if (si === 0) rec.clear(fhat, 0, z * g * g * 4);
    const last = si === S - 1;
    if (!last) recordResizeBicubic(rec, { x: h, out: hUp, B: 1, C: z, inH: p, inW: p, outH: g, outW: g, layout: 'nchw' });
    const phi = m.phi[vae.phiIndex[si]];
    recordPhiResidualUpdate(rec, {
      h: last ? h : hUp, fHat: fhat, weight: phi.w.buffer, weightOffset: convWeightOffset(phi.w), dtype: phi.w.dtype,
      bias: phi.b.buffer, biasOffset: phi.b.offset, biasDtype: 'f32', B: 1, C: z, H: g, W: g, ratio: vae.quantResi,
    });
    if (!last) {
      // The next scale's input for both rows: word_embed(area(f̂)) + pos_1LC + lvl_embed.
      const q = scales[si + 1];
      const L = q * q;
      recordResizeArea(rec, { x: fhat, out: tok, B: 1, C: z, inH: g, inW: g, outH: q, outW: q, layout: 'tokens' });
      const we = m.wordEmbed;
      const C = m.config.arch.dim;
      for (let b = 0; b < 2; b++) {
        recordLinear(rec, {
          M: L, K: z, N: C, x: { buffer: tok },
          weights: { dtype: we.w.dtype, w: { buffer: we.w.buffer, offset: we.w.offset }, bias: { buffer: we.b.buffer, offset: we.b.offset } },
          y: { buffer: ws.x, offset: b * L * C }, residual: { buffer: m.posLvl, offset: m.begins[si + 1] * C },
        });
      }
    }
    return { buffer: codes, offset: start * 4, bytes: T * 4 };
  }

  schedulePreview(rec: Recorder): GpuOutput {
    return this.m.decoder.schedule(rec, this.fhat);
  }

  logitsOutputs(s: number, rows: number): { cond: GpuOutput; uncond: GpuOutput } {
    const V = this.m.config.vae.vocabSize;
    const T = this.grids[s] ** 2;
    return { cond: { buffer: this.ws.logits, offset: 0, bytes: rows * V * 4 }, uncond: { buffer: this.ws.logits, offset: T * V * 4, bytes: rows * V * 4 } };
  }

  fhatOutput(): GpuOutput {
    const g = this.grids[this.grids.length - 1];
    return { buffer: this.fhat, offset: 0, bytes: this.m.config.vae.zChannels * g * g * 4 };
  }

  release(): void {
    this.ws.release();
    for (const b of [this.codes, this.h, this.hUp, this.fhat, this.tok]) this.ctx.pool.release(b);
  }
}
