/**
 * The taming-style convolutional VAE decoder on the GPU, as VAR (VAR_SPEC.md §1) and Infinity's BSQ VAE
 * (bsq_vae/flux_vqgan.py) have it: f̂ [z, H, W] → (VAR: post_quant_conv) → conv_in → mid [Res, (VAR: Attn),
 * Res] → up levels from the last (lowest resolution, widest; VAR: Attn after each Res) to level 0, each ↑
 * a nearest ×2 + 3×3 conv → GroupNorm + SiLU → conv_out → RGBA8 (clamp to [-1, 1], then [0, 1]).
 * Activations live in four ping-pong buffers sized for the largest level (ch·mult[0] at the full
 * image size: 42 MB for VAR's ch = 160 at 256²), plus the attention's qkv and scratch.
 */
import type { GpuContext } from '../gpu/device';
import type { GpuOutput, Recorder } from '../gpu/recorder';
import { recordConv2d } from '../kernels/conv2d';
import { recordGroupNorm } from '../kernels/groupnorm';
import { recordUpsampleNearest } from '../kernels/upsample_nearest';
import { recordSpatialAttention } from '../kernels/spatial_attention';
import { recordImageToRgba } from '../kernels/image_to_rgba';
import type { GpuWeight, WeightSet } from './weights';

/** conv2d takes weight offsets in elements of the weight dtype (f16 halves); GpuWeight.offset is in 4-byte words. */
export const convWeightOffset = (w: GpuWeight): number => (w.dtype === 'f16' ? w.offset * 2 : w.offset);

interface Conv { w: GpuWeight; b: GpuWeight; cin: number; cout: number; k: 1 | 3 }
interface Norm { w: GpuWeight; b: GpuWeight; c: number }
interface Res { n1: Norm; c1: Conv; n2: Norm; c2: Conv; nin?: Conv }
interface Attn { norm: Norm; qkv: Conv; proj: Conv }
interface UpLevel { blocks: Res[]; attns: Attn[]; upsample?: Conv; cout: number }

/** What differs between the families' decoders. */
export interface ConvDecoderSpec {
  /** Weight name prefix, e.g. "vae.". */
  prefix: string;
  zChannels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  gnGroups: number;
  gnEps: number;
  /** VAR: a 3×3 post_quant_conv before conv_in. */
  postQuant: boolean;
  /** VAR: attention in the middle and after each ResBlock of the last level. */
  attention: boolean;
  /** Infinity: each conv and GroupNorm is wrapped (x.conv.weight, x.norm.weight). */
  wrapped: boolean;
  /** The latent grid. */
  gridH: number;
  gridW: number;
}

export class ConvDecoder {
  private postQuant?: Conv;
  private convIn: Conv;
  private mid: { r1: Res; attn?: Attn; r2: Res };
  /** The image before RGBA packing, f32 [3, H, W] (unclamped), valid after a decode. */
  image: GPUBuffer | null = null;
  /** In the order they run: the last level (lowest resolution) first. */
  private levels: UpLevel[];
  private normOut: Norm;
  private convOut: Conv;
  private bufs: GPUBuffer[] = [];
  private qkvBuf: GPUBuffer;
  private prob: GPUBuffer;
  private rgba: GPUBuffer;
  private readonly outH: number;
  private readonly outW: number;

  constructor(
    private ctx: GpuContext,
    ws: WeightSet,
    private spec: ConvDecoderSpec,
  ) {
    const v = spec;
    const cw = spec.wrapped ? '.conv' : '';
    const nw = spec.wrapped ? '.norm' : '';
    const conv = (name: string, cin: number, cout: number, k: 1 | 3): Conv => ({
      w: ws.expectShape(`${v.prefix}${name}${cw}.weight`, [cout, cin, k, k]),
      b: ws.expectShape(`${v.prefix}${name}${cw}.bias`, [cout]),
      cin, cout, k,
    });
    const norm = (name: string, c: number): Norm => ({ w: ws.expectShape(`${v.prefix}${name}${nw}.weight`, [c]), b: ws.expectShape(`${v.prefix}${name}${nw}.bias`, [c]), c });
    const res = (p: string, cin: number, cout: number): Res => ({
      n1: norm(`${p}.norm1`, cin),
      c1: conv(`${p}.conv1`, cin, cout, 3),
      n2: norm(`${p}.norm2`, cout),
      c2: conv(`${p}.conv2`, cout, cout, 3),
      nin: cin !== cout ? conv(`${p}.nin_shortcut`, cin, cout, 1) : undefined,
    });
    const attn = (p: string, c: number): Attn => ({ norm: norm(`${p}.norm`, c), qkv: conv(`${p}.qkv`, c, 3 * c, 1), proj: conv(`${p}.proj_out`, c, c, 1) });
    const z = v.zChannels;
    const nLev = v.chMult.length;
    let cin = v.ch * v.chMult[nLev - 1];
    this.postQuant = v.postQuant ? conv('post_quant_conv', z, z, 3) : undefined;
    this.convIn = conv('decoder.conv_in', z, cin, 3);
    this.mid = { r1: res('decoder.mid.block_1', cin, cin), attn: v.attention ? attn('decoder.mid.attn_1', cin) : undefined, r2: res('decoder.mid.block_2', cin, cin) };
    this.levels = [];
    for (let i = nLev - 1; i >= 0; i--) {
      const cout = v.ch * v.chMult[i];
      const blocks: Res[] = [];
      const attns: Attn[] = [];
      for (let j = 0; j <= v.numResBlocks; j++) {
        blocks.push(res(`decoder.up.${i}.block.${j}`, cin, cout));
        if (i === nLev - 1 && v.attention) attns.push(attn(`decoder.up.${i}.attn.${j}`, cout));
        cin = cout;
      }
      this.levels.push({ blocks, attns, upsample: i > 0 ? conv(`decoder.up.${i}.upsample.conv`, cout, cout, 3) : undefined, cout });
    }
    this.normOut = norm('decoder.norm_out', cin);
    this.convOut = conv('decoder.conv_out', cin, 3, 3);
    // The largest activation: every level's width at its resolution (and the latent's).
    const hw = v.gridH * v.gridW;
    let biggest = Math.max(z, v.ch * v.chMult[nLev - 1]) * hw;
    let area = hw;
    for (let i = nLev - 1; i >= 0; i--) {
      biggest = Math.max(biggest, v.ch * v.chMult[Math.min(i + 1, nLev - 1)] * area, v.ch * v.chMult[i] * area);
      if (i > 0) area *= 4;
      biggest = Math.max(biggest, v.ch * v.chMult[i] * area);
    }
    const up = 2 ** (nLev - 1);
    this.outH = v.gridH * up;
    this.outW = v.gridW * up;
    for (let i = 0; i < 4; i++) this.bufs.push(ctx.pool.acquire(biggest * 4, `vae-${i}`));
    const cAttn = v.ch * v.chMult[nLev - 1];
    this.qkvBuf = ctx.pool.acquire(v.attention ? 3 * cAttn * hw * 4 : 4, 'vae-qkv');
    this.prob = ctx.pool.acquire(v.attention ? hw * hw * 4 : 4, 'vae-attn-prob');
    this.rgba = ctx.pool.acquire(this.outH * this.outW * 4, 'vae-rgba');
  }

  private conv(rec: Recorder, c: Conv, x: GPUBuffer, out: GPUBuffer, H: number, W: number, skip?: GPUBuffer): void {
    recordConv2d(rec, {
      x, out, B: 1, Cin: c.cin, Cout: c.cout, H, W, ksize: c.k,
      weight: c.w.buffer, weightOffset: convWeightOffset(c.w), dtype: c.w.dtype, bias: c.b.buffer, biasOffset: c.b.offset, biasDtype: 'f32', skip,
    });
  }

  private norm(rec: Recorder, n: Norm, x: GPUBuffer, out: GPUBuffer, H: number, W: number, silu: boolean): void {
    const v = this.spec;
    recordGroupNorm(rec, { x, out, B: 1, C: n.c, H, W, groups: v.gnGroups, eps: v.gnEps, weight: n.w.buffer, weightOffset: n.w.offset, bias: n.b.buffer, biasOffset: n.b.offset, silu });
  }

  private free(...used: GPUBuffer[]): GPUBuffer {
    return this.bufs.find((b) => !used.includes(b))!;
  }

  /** shortcut(x) + conv2(SiLU(GN(conv1(SiLU(GN(x)))))); returns the buffer holding the result. */
  private res(rec: Recorder, r: Res, x: GPUBuffer, H: number, W: number): GPUBuffer {
    const t1 = this.free(x);
    const t2 = this.free(x, t1);
    this.norm(rec, r.n1, x, t1, H, W, true);
    this.conv(rec, r.c1, t1, t2, H, W);
    this.norm(rec, r.n2, t2, t1, H, W, true);
    let skip = x;
    if (r.nin) {
      skip = this.free(x, t1, t2);
      this.conv(rec, r.nin, x, skip, H, W);
    }
    const out = this.free(t1, skip);
    this.conv(rec, r.c2, t1, out, H, W, skip);
    return out;
  }

  /** x + proj_out(attention(qkv(GN(x)))). */
  private attn(rec: Recorder, a: Attn, x: GPUBuffer, H: number, W: number): GPUBuffer {
    const n = this.free(x);
    this.norm(rec, a.norm, x, n, H, W, false);
    this.conv(rec, a.qkv, n, this.qkvBuf, H, W);
    const o = this.free(x, n);
    recordSpatialAttention(rec, { qkv: this.qkvBuf, prob: this.prob, out: o, C: a.norm.c, HW: H * W });
    const out = this.free(x, o);
    this.conv(rec, a.proj, o, out, H, W, x);
    return out;
  }

  /** Record the decode of f̂ ([z, gridH, gridW] NCHW) into packed RGBA8; returns the RGBA buffer. */
  record(rec: Recorder, fhat: GPUBuffer): GPUBuffer {
    let H = this.spec.gridH;
    let W = this.spec.gridW;
    const a = this.bufs[0];
    const b = this.bufs[1];
    let latent = fhat;
    if (this.postQuant) {
      this.conv(rec, this.postQuant, fhat, a, H, W);
      latent = a;
    }
    this.conv(rec, this.convIn, latent, b, H, W);
    let x = this.res(rec, this.mid.r1, b, H, W);
    if (this.mid.attn) x = this.attn(rec, this.mid.attn, x, H, W);
    x = this.res(rec, this.mid.r2, x, H, W);
    for (const lev of this.levels) {
      lev.blocks.forEach((r, j) => {
        x = this.res(rec, r, x, H, W);
        if (lev.attns[j]) x = this.attn(rec, lev.attns[j], x, H, W);
      });
      if (lev.upsample) {
        const u = this.free(x);
        recordUpsampleNearest(rec, { x, out: u, B: 1, C: lev.cout, H, W, factor: 2 });
        H *= 2;
        W *= 2;
        const y = this.free(u);
        this.conv(rec, lev.upsample, u, y, H, W);
        x = y;
      }
    }
    const n = this.free(x);
    this.norm(rec, this.normOut, x, n, H, W, true);
    const img = this.free(n);
    this.conv(rec, this.convOut, n, img, H, W);
    this.image = img;
    recordImageToRgba(rec, { img, rgba: this.rgba, H, W });
    return this.rgba;
  }

  /** Schedule the decode of f̂; returns where the RGBA8 pixels land. */
  schedule(rec: Recorder, fhat: GPUBuffer): GpuOutput {
    return { buffer: this.record(rec, fhat), offset: 0, bytes: this.outH * this.outW * 4 };
  }

  /** For goldens: the decoded image before packing, f32 [3, H, W] (valid after `schedule` ran). */
  imageOutput(): GpuOutput {
    return { buffer: this.image ?? this.bufs[0], offset: 0, bytes: 3 * this.outH * this.outW * 4 };
  }

  destroy(): void {
    for (const b of this.bufs) this.ctx.pool.release(b);
    for (const b of [this.qkvBuf, this.prob, this.rgba]) this.ctx.pool.release(b);
    this.bufs = [];
  }
}
