/**
 * A loaded Infinity model on the GPU (the folder models/infinity/convert-pth.ts writes): config, weights bound by
 * their canonical names ("infinity." and "vae."), the tables folded at load (transformer.ts), the BSQ VAE
 * decoder, and what the CPU reads to build a request's text rows: the learned negative cfg_uncond.
 */
import type { GpuContext } from '../../gpu/device';
import type { TensorInfo } from '../../formats/safetensors';
import { ModelConfigError } from '../../api/errors';
import { readTensorsF32, uploadSafetensors, weightFiles, type ByteSource, type WeightSet } from '../weights';
import { ConvDecoder } from '../conv-decoder';
import { parseInfinityConfig, type InfinityConfig } from './config';
import { infinityShapes } from './checkpoint-layout';
import { bindInfinity, type InfinityWeights } from './transformer';
import { infinitySchedule } from './schedule';
import { assertInfinityFitsGpu } from './memory';

export interface InfinitySources {
  config: unknown;
  weights: Map<string, ByteSource>;
}

/** Tensors the tables are made of, read on the CPU at load. */
function cpuNames(depth: number): string[] {
  const n = ['cfg_uncond', 'pos_start', 'lvl_embed.weight', 'shared_ada_lin.1.bias', 'word_embed.bias', 'text_proj_for_sos.ca.v_bias', 'text_proj_for_sos.ca.proj.bias', 'text_proj_for_sos.ca.mat_q'];
  for (let i = 0; i < depth; i++) n.push(`blocks.${i}.ada_gss`, `blocks.${i}.ca_norm.weight`, `blocks.${i}.ca_norm.bias`, `blocks.${i}.ca.v_bias`);
  return n.map((x) => `infinity.${x}`);
}

export class InfinityModel {
  readonly w: InfinityWeights;
  /** The decoder for the grid of each request's schedule, made on first use. */
  private decoders = new Map<string, ConvDecoder>();

  private constructor(
    readonly ctx: GpuContext,
    readonly config: InfinityConfig,
    readonly weights: WeightSet,
    /** f32 [textMaxLen, textDim] on the CPU. */
    readonly cfgUncond: Float32Array,
    cpu: Map<string, Float32Array>,
  ) {
    this.w = bindInfinity(ctx, weights, config.arch, { get: (n) => cpu.get(n)! });
    // The decoder of the default schedule's grid: binds (checks, marks used) its weights at load; other grids are made on first use.
    const last = infinitySchedule(config.image.hDivW, config.image.resolution).scales.at(-1)!;
    this.decoder(last[0], last[1]);
    weights.assertAllUsed();
  }

  static load(ctx: GpuContext, src: InfinitySources): InfinityModel {
    const config = parseInfinityConfig(src.config);
    assertInfinityFitsGpu(config, config.image.resolution, config.image.hDivW, ctx.limits); // before any upload
    const files = weightFiles(config.files.weights, src.weights);
    const a = config.arch;
    const names = cpuNames(a.depth);
    const cpu = readTensorsF32(files, names);
    const shapes = infinityShapes(a);
    for (const n of names) {
      const t = cpu.get(n);
      const want = shapes.get(n.slice('infinity.'.length))!;
      const elems = want.reduce((x, y) => x * y, 1);
      if (!t) throw new ModelConfigError(`tensor "${n}" is missing from the weights`);
      if (t.length !== elems) throw new ModelConfigError(`tensor "${n}" has ${t.length} values but the config implies [${want}]`);
    }
    const toF32 = (_: string, info: TensorInfo) => info.shape.length < 2 || info.shape[info.shape.length - 1] % 2 === 1;
    const weights = uploadSafetensors(ctx, files, toF32, ['F32', 'F16', 'I8']);
    try {
      return new InfinityModel(ctx, config, weights, cpu.get('infinity.cfg_uncond')!, cpu);
    } catch (e) {
      weights.destroy();
      throw e;
    }
  }

  /** The VAE decoder for a latent grid (its activation buffers are sized by the grid). */
  decoder(gridH: number, gridW: number): ConvDecoder {
    const key = `${gridH}x${gridW}`;
    let d = this.decoders.get(key);
    if (!d) {
      const v = this.config.vae;
      d = new ConvDecoder(this.ctx, this.weights, {
        prefix: 'vae.', zChannels: this.config.arch.bits, ch: v.ch, chMult: v.chMult, numResBlocks: v.numResBlocks, gnGroups: v.gnGroups, gnEps: v.gnEps,
        postQuant: false, attention: false, wrapped: true, gridH, gridW,
      });
      this.decoders.set(key, d);
    }
    return d;
  }

  get gpuBytes(): number {
    return this.weights.totalBytes + this.w.at.total * 4;
  }

  destroy(): void {
    this.weights.destroy();
    this.w.tables.destroy();
    for (const d of this.decoders.values()) d.destroy();
    this.decoders.clear();
  }
}
