/**
 * The default model's VQ encoder and multi-scale residual quantizer on the GPU
 * (tools/nextscale_tools/vq.py `Encoder` + `MultiScaleVQ.quantize`), so an image a user attaches
 * becomes the same per-scale codes the model was trained on:
 *   z = conv_out(silu(gn(ResBlocks(conv_d3(pool(silu(conv_d2(pool(silu(conv_d1(pool(silu(conv_in(x))))))))))))))
 *   resid = z; for each scale h: codes_h = nearest(area(resid → h)); resid −= bicubic(E[codes_h] → G)
 * One step, one readback of every scale's codes (scheduled here, run by the engine).
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { writeBuffer } from '../../gpu/buffers';
import { recordAvgPool2x2, recordResizeArea } from '../../kernels/resize_area';
import { recordResizeBicubic } from '../../kernels/resize_bicubic';
import { recordUnary, recordScale } from '../../kernels/elementwise';
import { recordCodebookGather } from '../../kernels/codebook_gather';
import { recordCodebookNearest } from '../../kernels/codebook_nearest';
import { InvalidImageError } from '../../api/errors';
import type { RgbaImage } from '../../api/types';
import type { GpuWeight, WeightSet } from '../weights';
import type { NextFlowVq } from './config';
import { scaleLayout } from './config';
import { recordConv, recordNorm, recordResBlocks, vqBinders, type Conv, type Norm, type ResBlock } from './vq-layers';

/** RGBA8 (row-major) → f32 NCHW [3, H, W] in [−1, 1], the tokenizer's pixel convention. */
export function rgbaToUnitNchw(img: RgbaImage): Float32Array {
  const { width: W, height: H, data } = img;
  const out = new Float32Array(3 * H * W);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) out[c * H * W + p] = data[4 * p + c] / 127.5 - 1;
  return out;
}

export class VqEncoder {
  private convs: Conv[];
  private blocks: ResBlock[];
  private normOut: Norm;
  private convOut: Conv;
  private bufs: GPUBuffer[] = [];
  private input: GPUBuffer;
  private codes: GPUBuffer;

  constructor(
    private ctx: GpuContext,
    ws: WeightSet,
    private vq: NextFlowVq,
    private codebook: GpuWeight,
  ) {
    const { conv, norm, blocks } = vqBinders(ws, 'vq.encoder.');
    const [c1, c2, c3] = vq.encWidths;
    const lc = vq.latentCh;
    this.convs = [conv('conv_in', 3, c1, 3), conv('conv_d1', c1, c2, 3), conv('conv_d2', c2, c3, 3), conv('conv_d3', c3, lc, 3)];
    this.blocks = blocks(vq.encBlocks, lc);
    this.normOut = norm('norm_out', lc);
    this.convOut = conv('conv_out', lc, vq.codeDim, 1);
    const S = vq.imageSize;
    const biggest = Math.max(c1 * S * S, lc * (S / 8) * (S / 8), 3 * S * S);
    for (let i = 0; i < 3; i++) this.bufs.push(ctx.pool.acquire(biggest * 4, `vq-enc-${i}`));
    this.input = ctx.pool.acquire(3 * S * S * 4, 'vq-enc-input');
    this.codes = ctx.pool.acquire(scaleLayout(vq.scales).total * 4, 'vq-enc-codes');
  }

  /**
   * Schedule the encoding of an imageSize×imageSize RGBA image: returns where every scale's codes land
   * and how to split the read-back bytes into codes per scale (row-major).
   */
  schedule(rec: Recorder, img: RgbaImage): { codes: GpuOutput; split(raw: ArrayBuffer): number[][] } {
    const S = this.vq.imageSize;
    if (img.width !== S || img.height !== S || img.data.length !== S * S * 4) {
      throw new InvalidImageError(`this model reads ${S}×${S} RGBA images, got ${img.width}×${img.height} with ${img.data.length} bytes (resize it first)`);
    }
    writeBuffer(this.ctx, this.input, rgbaToUnitNchw(img));
    this.record(rec);
    const layout = scaleLayout(this.vq.scales);
    const split = (raw: ArrayBuffer) => {
      const all = new Uint32Array(raw);
      return this.vq.scales.map((_, s) => Array.from(all.subarray(layout.offsets[s], layout.offsets[s] + layout.tokens[s])));
    };
    return { codes: { buffer: this.codes, offset: 0, bytes: layout.total * 4 }, split };
  }

  private record(rec: Recorder): void {
    const vq = this.vq;
    const [b0, b1, b2] = this.bufs;
    const free = (...used: GPUBuffer[]) => this.bufs.find((q) => !used.includes(q))!;
    let H = vq.imageSize;
    let x = this.input;
    // Three (conv3×3, SiLU, 2×2 average pool) stages: S → S/8.
    for (const c of this.convs.slice(0, 3)) {
      const y = free(x);
      recordConv(rec, c, x, y, H, H);
      const a = free(x, y);
      recordUnary(rec, 'silu', y, a, c.cout * H * H);
      const p = free(a);
      recordAvgPool2x2(rec, { x: a, out: p, B: 1, C: c.cout, H, W: H });
      H /= 2;
      x = p;
    }
    const lc = vq.latentCh;
    let y = free(x);
    recordConv(rec, this.convs[3], x, y, H, H);
    y = recordResBlocks(rec, vq, this.blocks, y, [b0, b1, b2], lc, H, H);
    const n = free(y);
    recordNorm(rec, vq, this.normOut, y, n, lc, H, H, true);
    const z = free(n);
    recordConv(rec, this.convOut, n, z, H, H);
    this.recordQuantize(rec, z, free(z), free(z, free(z)), H);
  }

  /** resid = z; per scale: nearest code of area(resid), then resid −= bicubic(E[code]). Clobbers z. */
  private recordQuantize(rec: Recorder, z: GPUBuffer, t1: GPUBuffer, t2: GPUBuffer, G: number): void {
    const vq = this.vq;
    const C = vq.codeDim;
    const layout = scaleLayout(vq.scales);
    const cb = this.codebook;
    const resid = z;
    const code = t1; // E[codes_h] as [C, h, h]
    const small = t2; // area(resid) as [C, h, h], then −E[codes_h]
    vq.scales.forEach((h, s) => {
      const out = layout.offsets[s];
      const common = { codebook: cb.buffer, codebookOffset: cb.offset, V: vq.codebookSize, C };
      if (h === G) {
        recordCodebookNearest(rec, { r: resid, codes: this.codes, outOffset: out, HW: h * h, ...common });
        return; // the last scale: nothing is left to subtract from
      }
      recordResizeArea(rec, { x: resid, out: small, B: 1, C, inH: G, inW: G, outH: h, outW: h });
      recordCodebookNearest(rec, { r: small, codes: this.codes, outOffset: out, HW: h * h, ...common });
      recordCodebookGather(rec, { codes: this.codes, codesOffset: out, codebook: cb.buffer, codebookOffset: cb.offset, out: code, B: 1, h, w: h, V: vq.codebookSize, C, layout: 'nchw' });
      recordScale(rec, code, small, C * h * h, -1);
      recordResizeBicubic(rec, { x: small, out: resid, B: 1, C, inH: h, inW: h, outH: G, outW: G, accumulate: true });
    });
  }

  destroy(): void {
    for (const b of this.bufs) this.ctx.pool.release(b);
    this.ctx.pool.release(this.input);
    this.ctx.pool.release(this.codes);
    this.bufs = [];
  }
}
