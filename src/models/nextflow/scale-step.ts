/**
 * One scale of next-scale image generation, shared by text-to-image (image-generator.ts) and
 * images inside chat replies (chat.ts):
 *   input of scale s = img_in(bicubic(E[codes_{s−1}] → s)) + scale_emb[s] (NextFlow's residual feature);
 *   after the forward: CFG + top-k/p sampling on the GPU into the codes buffer, and
 *   f̂ += bicubic(E[codes_s] → G) for the preview decode.
 */
import type { GpuContext } from '../../gpu/device';
import type { Recorder } from '../../gpu/recorder';
import { recordCodebookGather } from '../../kernels/codebook_gather';
import { recordResizeBicubic } from '../../kernels/resize_bicubic';
import { recordLinear } from '../../kernels/matmul';
import { recordSample } from '../../kernels/sample';
import type { NextFlowModel } from './model';
import { scaleLayout } from './config';
import type { Workspace } from './transformer';

export interface ImageSampling {
  cfg: number;
  topK: number;
  topP: number;
  temperature: number;
  seed: number;
}

/** GPU buffers of one image being generated (from the context's pool; release() returns them). */
export class ScaleBuffers {
  readonly codes: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly prevMap: GPUBuffer;
  readonly tokFeat: GPUBuffer;
  readonly fhat: GPUBuffer;
  readonly layout: ReturnType<typeof scaleLayout>;

  constructor(
    private ctx: GpuContext,
    m: NextFlowModel,
    B: number,
    maxT: number,
  ) {
    const vq = m.config.vq;
    const G = vq.scales[vq.scales.length - 1];
    this.layout = scaleLayout(vq.scales);
    const p = ctx.pool;
    this.codes = p.acquire(this.layout.total * 4, 'codes');
    this.logits = p.acquire(B * maxT * m.config.vocab.imageCount * 4, 'logits');
    this.prevMap = p.acquire(vq.codeDim * G * G * 4, 'prev-map');
    this.tokFeat = p.acquire(maxT * vq.codeDim * 4, 'token-features');
    this.fhat = p.acquire(vq.codeDim * G * G * 4, 'f-hat');
  }

  release(): void {
    for (const b of [this.codes, this.logits, this.prevMap, this.tokFeat, this.fhat]) this.ctx.pool.release(b);
  }
}

/** ws.x[b] = img_in_s(bicubic(E[codes_{s−1}])) for every batch row b (the rows share the codes). */
export function recordBlockInput(rec: Recorder, m: NextFlowModel, ws: Workspace, sb: ScaleBuffers, s: number): void {
  const vq = m.config.vq;
  const p = vq.scales[s];
  const q = vq.scales[s - 1];
  const V = m.config.vocab.imageCount;
  const common = { codebook: m.codebook.buffer, codebookOffset: m.codebook.offset, V, C: vq.codeDim };
  recordCodebookGather(rec, { codes: sb.codes, codesOffset: sb.layout.offsets[s - 1], out: sb.prevMap, B: 1, h: q, w: q, layout: 'nchw', ...common });
  recordResizeBicubic(rec, { x: sb.prevMap, out: sb.tokFeat, B: 1, C: vq.codeDim, inH: q, inW: q, outH: p, outW: p, layout: 'tokens' });
  recordImgIn(rec, m, ws, sb, s, p * p);
}

/** ws.x[b] = img_in(sb.tokFeat[:L]) + scale_emb[scaleRow] for every batch row b (the rows share the features). */
function recordImgIn(rec: Recorder, m: NextFlowModel, ws: Workspace, sb: ScaleBuffers, scaleRow: number, L: number): void {
  const D = m.config.arch.dim;
  for (let b = 0; b < ws.B; b++) {
    recordLinear(rec, { M: L, K: m.config.vq.codeDim, N: D, x: { buffer: sb.tokFeat }, weights: m.imgInForScale(scaleRow), y: { buffer: ws.x, offset: b * L * D } });
  }
}

/**
 * ws.x[b] = img_in_0(E[codes_{S−1}]) for every batch row b: the closing block of a whole image (scale-embedding
 * row 0, which no predicting block uses), so that later tokens read its finest codes (image.feed_back_finest).
 */
export function recordClosingBlockInput(rec: Recorder, m: NextFlowModel, ws: Workspace, sb: ScaleBuffers): void {
  const vq = m.config.vq;
  const S = vq.scales.length;
  const G = vq.scales[S - 1];
  const V = m.config.vocab.imageCount;
  recordCodebookGather(rec, { codes: sb.codes, codesOffset: sb.layout.offsets[S - 1], codebook: m.codebook.buffer, codebookOffset: m.codebook.offset, out: sb.tokFeat, B: 1, h: G, w: G, V, C: vq.codeDim, layout: 'tokens' });
  recordImgIn(rec, m, ws, sb, 0, G * G);
}

/**
 * Sample scale s from sb.logits (cond rows, then uncond rows when B = 2) into sb.codes, then
 * f̂ += bicubic(E[codes_s] → G) (f̂ is cleared at s = 0). `imageIndex` picks the draw stream.
 */
export function recordSampleScale(rec: Recorder, m: NextFlowModel, sb: ScaleBuffers, s: number, B: number, smp: ImageSampling, step: number): void {
  const vq = m.config.vq;
  const p = vq.scales[s];
  const G = vq.scales[vq.scales.length - 1];
  const V = m.config.vocab.imageCount;
  const rows = p * p;
  recordSample(rec, sb.logits, sb.codes, {
    rows,
    V,
    rowStride: V,
    uncondOffset: B === 2 ? rows * V : undefined,
    guidance: B === 2 ? smp.cfg : 0,
    temperature: smp.temperature,
    topK: smp.topK,
    topP: smp.topP,
    seed: smp.seed,
    step,
    outOffset: sb.layout.offsets[s],
  });
  recordCodebookGather(rec, { codes: sb.codes, codesOffset: sb.layout.offsets[s], codebook: m.codebook.buffer, codebookOffset: m.codebook.offset, out: sb.prevMap, B: 1, h: p, w: p, V, C: vq.codeDim, layout: 'nchw' });
  if (s === 0) rec.clear(sb.fhat, 0, vq.codeDim * G * G * 4);
  recordResizeBicubic(rec, { x: sb.prevMap, out: sb.fhat, B: 1, C: vq.codeDim, inH: p, inW: p, outH: G, outW: G, layout: 'nchw', accumulate: true });
}
