/**
 * Next-scale image generation for the NextFlow family, read like the paper:
 *   prefill `<bos> prompt <boi>` (and the unconditional row `<bos> <null>… <boi>` for CFG);
 *   for each scale s: one forward over the scale's h·w tokens on top of the KV cache, CFG + top-k/p
 *   sampling on the GPU, the codes stay on the GPU and become the next scale's input
 *   (NextFlow's residual feature: the codebook map of scale s-1, bicubic-resized to scale s);
 *   f̂ += bicubic(E[codes_s]) and the partial image is decoded for the preview.
 * Scheduled only: the engine's scale driver runs each scale and reads back its codes and preview.
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { writeBuffer } from '../../gpu/buffers';
import { imageStep } from '../../kernels/rng';
import { textPositions, imageScalePositions } from '../../kernels/rope-positions';
import type { ImageSampling, ImageSteps } from '../family';
import type { NextFlowModel } from './model';
import { scaleLayout } from './config';
import { Workspace, recordEmbedTokens, recordHead, recordLayers } from './transformer';
import { ScaleBuffers, recordBlockInput, recordSampleScale } from './scale-step';

export class NextFlowImageSteps implements ImageSteps {
  readonly grids: readonly number[];
  readonly imageSize: number;
  private readonly ws: Workspace;
  private readonly sb: ScaleBuffers;
  private readonly ids: GPUBuffer;
  private readonly B: number;
  private readonly T0: number;
  private readonly layout: ReturnType<typeof scaleLayout>;
  private cacheLen = 0;

  /** `promptIds`: the prompt's word ids, without specials. */
  constructor(
    private ctx: GpuContext,
    private m: NextFlowModel,
    promptIds: readonly number[],
    private smp: ImageSampling,
  ) {
    const { arch: a, vocab, vq } = m.config;
    this.grids = vq.scales;
    this.imageSize = vq.imageSize;
    this.layout = scaleLayout(vq.scales);
    this.B = smp.cfg !== 0 ? 2 : 1;
    this.T0 = promptIds.length + 2;
    const maxT = Math.max(this.T0, ...this.layout.tokens);
    this.ws = new Workspace(ctx, a, this.B, this.B * maxT, this.T0 + this.layout.total - this.layout.tokens[0]);
    this.sb = new ScaleBuffers(ctx, m, this.B, maxT);
    this.ids = ctx.pool.acquire(this.B * this.T0 * 4, 'prompt-ids');
    const promptRow = [vocab.bos, ...promptIds, vocab.boi];
    const nullRow = [vocab.bos, ...promptIds.map(() => vocab.null), vocab.boi];
    writeBuffer(ctx, this.ids, new Uint32Array(this.B === 2 ? [...promptRow, ...nullRow] : promptRow));
  }

  scheduleScale(rec: Recorder, s: number): GpuOutput {
    const { arch: a, vocab, vq } = this.m.config;
    const tr = this.m.transformer;
    const { ws, sb, B, T0 } = this;
    const p = vq.scales[s];
    const L = p * p;
    const V = vocab.imageCount;
    if (s === 0) {
      writeBuffer(this.ctx, ws.positions, textPositions(0, T0));
      recordEmbedTokens(rec, tr, a, ws, this.ids, B * T0, vocab.size);
      recordLayers(rec, tr, a, ws, { T: T0, start: 0, mask: 'causal' });
      recordHead(rec, tr, a, ws, sb.logits, { T: 1, rowOfBatch: (b) => b * T0 + T0 - 1, col0: vocab.imageStart, ncols: V });
      this.cacheLen = T0;
    } else {
      // The previous scale was submitted already, so this write lands after its passes and before ours.
      writeBuffer(this.ctx, ws.positions, imageScalePositions(T0, s, p, p, a.ropeImageRange));
      recordBlockInput(rec, this.m, ws, sb, s);
      recordLayers(rec, tr, a, ws, { T: L, start: this.cacheLen, mask: 'block' });
      recordHead(rec, tr, a, ws, sb.logits, { T: L, rowOfBatch: (b) => b * L, col0: vocab.imageStart, ncols: V });
      this.cacheLen += L;
    }
    recordSampleScale(rec, this.m, sb, s, B, this.smp, imageStep(0, s));
    return { buffer: sb.codes, offset: this.layout.offsets[s] * 4, bytes: L * 4 };
  }

  schedulePreview(rec: Recorder): GpuOutput {
    return this.m.decoder.schedule(rec, this.sb.fhat);
  }

  logitsOutputs(s: number, rows: number): { cond: GpuOutput; uncond?: GpuOutput } {
    const V = this.m.config.vocab.imageCount;
    const all = s === 0 ? 1 : this.grids[s] ** 2;
    const bytes = rows * V * 4;
    return {
      cond: { buffer: this.sb.logits, offset: 0, bytes },
      uncond: this.B === 2 ? { buffer: this.sb.logits, offset: all * V * 4, bytes } : undefined,
    };
  }

  release(): void {
    this.ws.release();
    this.sb.release();
    this.ctx.pool.release(this.ids);
  }
}
