/**
 * The default model's VQ decoder on the GPU (tools/nextscale_tools/vq.py `Decoder`):
 *   conv_in 1×1 → ResBlocks at the latent grid → GN+SiLU → three × (1×1 expand, pixel-shuffle ×2,
 *   3×3 conv [+SiLU]) → RGBA8. Runs after every scale for the preview, so it is small (~60 MFLOP).
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { recordDepthToSpace } from '../../kernels/upsample_nearest';
import { recordUnary } from '../../kernels/elementwise';
import { recordImageToRgba } from '../../kernels/image_to_rgba';
import type { WeightSet } from '../weights';
import type { NextFlowVq } from './config';
import { recordConv, recordNorm, recordResBlocks, vqBinders, type Conv, type Norm, type ResBlock } from './vq-layers';

export class VqDecoder {
  private convIn: Conv;
  private blocks: ResBlock[];
  private normMid: Norm;
  private ups: Array<{ up: Conv; conv: Conv }>;
  private bufs: GPUBuffer[] = [];
  private rgba: GPUBuffer;
  private G: number;

  constructor(
    private ctx: GpuContext,
    ws: WeightSet,
    private vq: NextFlowVq,
  ) {
    const { conv, norm, blocks } = vqBinders(ws, 'vq.decoder.');
    const lc = vq.latentCh;
    const [c3, c2, c1] = vq.decWidths;
    this.convIn = conv('conv_in', vq.codeDim, lc, 1);
    this.blocks = blocks(vq.decBlocks, lc);
    this.normMid = norm('norm_mid', lc);
    this.ups = [
      { up: conv('up1', lc, c3 * 4, 1), conv: conv('conv1', c3, c3, 3) },
      { up: conv('up2', c3, c2 * 4, 1), conv: conv('conv2', c2, c2, 3) },
      { up: conv('up3', c2, c1 * 4, 1), conv: conv('conv_out', c1, 3, 3) },
    ];
    this.G = vq.scales[vq.scales.length - 1];
    // Three ping-pong buffers big enough for the largest activation (c·H·W at every level).
    const g = this.G;
    const biggest = Math.max(lc * g * g, c3 * 4 * g * g, c2 * 4 * 4 * g * g, c1 * 4 * 16 * g * g, c1 * 64 * g * g);
    for (let i = 0; i < 3; i++) this.bufs.push(ctx.pool.acquire(biggest * 4, `vq-dec-${i}`));
    this.rgba = ctx.pool.acquire(vq.imageSize * vq.imageSize * 4, 'rgba');
  }

  /** Record the decode of f̂ ([codeDim, G, G] NCHW) into packed RGBA8; returns the RGBA buffer. */
  record(rec: Recorder, fhat: GPUBuffer): GPUBuffer {
    const free = (...used: GPUBuffer[]) => this.bufs.find((q) => !used.includes(q))!;
    const lc = this.vq.latentCh;
    let H = this.G;
    let W = this.G;
    let x = this.bufs[0];
    recordConv(rec, this.convIn, fhat, x, H, W);
    x = recordResBlocks(rec, this.vq, this.blocks, x, this.bufs, lc, H, W);
    const mid = free(x);
    recordNorm(rec, this.vq, this.normMid, x, mid, lc, H, W, true);
    x = mid;
    this.ups.forEach((stage, i) => {
      const u = free(x);
      recordConv(rec, stage.up, x, u, H, W); // [4c, H, W]
      const d = free(u);
      recordDepthToSpace(rec, { x: u, out: d, B: 1, C: stage.conv.cin, H, W, r: 2 }); // [c, 2H, 2W]
      H *= 2;
      W *= 2;
      const y = free(d);
      recordConv(rec, stage.conv, d, y, H, W);
      if (i < this.ups.length - 1) {
        const s2 = free(y);
        recordUnary(rec, 'silu', y, s2, stage.conv.cout * H * W);
        x = s2;
      } else x = y;
    });
    recordImageToRgba(rec, { img: x, rgba: this.rgba, H, W });
    return this.rgba;
  }

  /** Schedule the decode of f̂; returns where the RGBA8 pixels land. */
  schedule(rec: Recorder, fhat: GPUBuffer): GpuOutput {
    return { buffer: this.record(rec, fhat), offset: 0, bytes: this.vq.imageSize * this.vq.imageSize * 4 };
  }

  destroy(): void {
    for (const b of this.bufs) this.ctx.pool.release(b);
    this.ctx.pool.release(this.rgba);
    this.bufs = [];
  }
}
