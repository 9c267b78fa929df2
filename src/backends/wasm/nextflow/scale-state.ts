/**
 * One image being generated on the CPU backend, the host-side twin of models/nextflow/scale-step.ts:
 * the codes of every scale, f̂, and the glue between forwards —
 *   input of scale s = bicubic(E[codes_{s−1}] → s) (the graph adds img_in and scale_emb[s]);
 *   after the forward: CFG + top-k/p sampling of each row (sample.ts), then f̂ += bicubic(E[codes_s] → G).
 */
import { scaleLayout } from '../../../models/nextflow/config';
import type { ImageSampling } from '../../../models/family';
import { gatherCodes, imageToRgba, resizeBicubic } from '../cpu-ops';
import { CpuSampler } from '../sample';
import type { WasmNextFlowModel } from './model';

export class WasmScaleState {
  readonly codes: Uint32Array;
  readonly fhat: Float32Array;
  readonly layout: ReturnType<typeof scaleLayout>;
  /** Image-column logits of the last sampled scale, [B, rows, V] (goldens read them). */
  logits: Float32Array = new Float32Array(0);
  private prevMap: Float32Array;
  private tokFeat: Float32Array;
  private sampler = new CpuSampler();

  constructor(private m: WasmNextFlowModel) {
    const vq = m.config.vq;
    const G = vq.scales[vq.scales.length - 1];
    this.layout = scaleLayout(vq.scales);
    this.codes = new Uint32Array(this.layout.total);
    this.fhat = new Float32Array(vq.codeDim * G * G);
    this.prevMap = new Float32Array(vq.codeDim * G * G);
    this.tokFeat = new Float32Array(G * G * vq.codeDim);
  }

  /** Block features of scale s: bicubic(E[codes_{s−1}] → s·s cells) as [s·s, C]. */
  blockFeatures(s: number): Float32Array {
    const vq = this.m.config.vq;
    const p = vq.scales[s];
    const q = vq.scales[s - 1];
    gatherCodes(this.codes, this.layout.offsets[s - 1], q * q, this.m.codebook, vq.codebookSize, vq.codeDim, 'nchw', this.prevMap);
    resizeBicubic(this.prevMap, vq.codeDim, q, q, p, p, 'tokens', this.tokFeat);
    return this.tokFeat.subarray(0, p * p * vq.codeDim);
  }

  /** The closing block's features: E[codes of the finest scale] as [G·G, C]. */
  closingFeatures(): Float32Array {
    const vq = this.m.config.vq;
    const S = vq.scales.length;
    const G = vq.scales[S - 1];
    gatherCodes(this.codes, this.layout.offsets[S - 1], G * G, this.m.codebook, vq.codebookSize, vq.codeDim, 'tokens', this.tokFeat);
    return this.tokFeat.subarray(0, G * G * vq.codeDim);
  }

  /**
   * Sample scale s from the forward's logits [B, T, vocab]: row r of scale s is token `first + r` of each
   * batch row (the uncond rows are batch row 1 when B = 2). Then f̂ += bicubic(E[codes_s] → G).
   */
  sampleScale(logits: Float32Array, B: number, T: number, first: number, s: number, smp: ImageSampling, step: number): void {
    const { vocab, vq } = this.m.config;
    const Vall = vocab.size;
    const V = vocab.imageCount;
    const p = vq.scales[s];
    const rows = p * p;
    const cfg = B === 2 && smp.cfg !== 0;
    this.logits = new Float32Array(B * rows * V);
    for (let b = 0; b < B; b++) for (let r = 0; r < rows; r++) {
      const at = (b * T + first + r) * Vall + vocab.imageStart;
      this.logits.set(logits.subarray(at, at + V), (b * rows + r) * V);
    }
    const o = { V, guidance: cfg ? smp.cfg : 0, temperature: smp.temperature, topK: smp.topK, topP: smp.topP, seed: smp.seed, step };
    const off = this.layout.offsets[s];
    for (let r = 0; r < rows; r++) this.codes[off + r] = this.sampler.row(o, this.logits, r * V, cfg ? this.logits : null, (rows + r) * V, r);
    const G = vq.scales[vq.scales.length - 1];
    gatherCodes(this.codes, off, rows, this.m.codebook, vq.codebookSize, vq.codeDim, 'nchw', this.prevMap);
    if (s === 0) this.fhat.fill(0);
    resizeBicubic(this.prevMap, vq.codeDim, p, p, G, G, 'nchw', this.fhat, true);
  }

  /** The codes of scale s (a view, valid until the state is reused). */
  scaleCodes(s: number): Uint32Array {
    return this.codes.subarray(this.layout.offsets[s], this.layout.offsets[s] + this.layout.tokens[s]);
  }

  /** Decode f̂ to RGBA8 (one u32 per pixel). */
  async preview(): Promise<Uint32Array> {
    const vq = this.m.config.vq;
    const G = vq.scales[vq.scales.length - 1];
    const out = await this.m.decoder.run({ fhat: new this.m.ort.Tensor('float32', this.fhat.slice(), [1, vq.codeDim, G, G]) });
    const img = out.image;
    return imageToRgba(img.data as Float32Array, img.dims[2], img.dims[3]);
  }
}
