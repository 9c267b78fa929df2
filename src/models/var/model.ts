/**
 * A loaded VAR model (tools/convert_var.py output): config, weights on the GPU bound by their
 * official names (prefixes "var." and "vae."), and the small tables the engine combines on the CPU:
 * class embeddings (the condition), and pos_1LC + lvl_embed per token position.
 */
import type { GpuContext } from '../../gpu/device';
import { uploadBuffer } from '../../gpu/buffers';
import type { TensorInfo } from '../../formats/safetensors';
import { ModelConfigError } from '../../api/errors';
import { readTensorsF32, uploadSafetensors, weightFiles, type ByteSource, type GpuWeight, type WeightSet } from '../weights';
import { parseVarConfig, type VarConfig } from './config';
import { bindVarBlocks, type VarBlocks } from './transformer';
import { varVaeDecoder } from './vae-decoder';
import type { ConvDecoder } from '../conv-decoder';

/** Tensors the kernels read as f32 (gathers, tables, the codebook, the per-head scale). */
const F32_TENSORS = /(pos_start|pos_1LC|lvl_embed\.weight|class_emb\.weight|quantize\.embedding\.weight|scale_mul_1H11|\.bias)$/;

export interface VarSources {
  config: unknown;
  weights: Map<string, ByteSource>;
}

export class VarModel {
  readonly blocks: VarBlocks;
  readonly decoder: ConvDecoder;
  readonly codebook: GpuWeight;
  readonly wordEmbed: { w: GpuWeight; b: GpuWeight };
  readonly phi: Array<{ w: GpuWeight; b: GpuWeight }>;
  /** f32 [L, C]: pos_1LC[i] + lvl_embed[scale of i], the additive input of every token. */
  readonly posLvl: GPUBuffer;
  /** Token offsets of each scale in the sequence. */
  readonly begins: number[];
  readonly totalTokens: number;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: VarConfig,
    readonly weights: WeightSet,
    /** f32 [numClasses + 1, C] on the CPU (the last row is the null class). */
    readonly classEmb: Float32Array,
    /** f32 [C]: pos_start + pos_1LC[0] + lvl_embed[0], added to the class embedding at scale 0. */
    readonly firstTokenBias: Float32Array,
    posLvl: Float32Array,
  ) {
    const a = config.arch;
    const v = config.vae;
    this.begins = [];
    let L = 0;
    for (const p of config.scales) {
      this.begins.push(L);
      L += p * p;
    }
    this.totalTokens = L;
    this.blocks = bindVarBlocks(weights, a, v.vocabSize);
    this.codebook = weights.expectShape('vae.quantize.embedding.weight', [v.vocabSize, v.zChannels]);
    this.wordEmbed = { w: weights.expectShape('var.word_embed.weight', [a.dim, v.zChannels]), b: weights.expectShape('var.word_embed.bias', [a.dim]) };
    this.phi = Array.from({ length: v.phiCount }, (_, k) => ({
      w: weights.expectShape(`vae.quantize.quant_resi.qresi_ls.${k}.weight`, [v.zChannels, v.zChannels, 3, 3]),
      b: weights.expectShape(`vae.quantize.quant_resi.qresi_ls.${k}.bias`, [v.zChannels]),
    }));
    this.decoder = varVaeDecoder(ctx, weights, config);
    weights.markUsed('var.pos_start', 'var.pos_1LC', 'var.lvl_embed.weight', 'var.class_emb.weight'); // read on the CPU
    weights.assertAllUsed();
    this.posLvl = uploadBuffer(ctx, posLvl, 'var-pos-lvl');
  }

  static load(ctx: GpuContext, src: VarSources): VarModel {
    const config = parseVarConfig(src.config);
    const files = weightFiles(config.files.weights, src.weights);
    const a = config.arch;
    const S = config.scales.length;
    const L = config.scales.reduce((s, p) => s + p * p, 0);
    const C = a.dim;
    const cpu = readTensorsF32(files, ['var.pos_start', 'var.pos_1LC', 'var.lvl_embed.weight', 'var.class_emb.weight']);
    const need = (name: string, n: number, shape: string): Float32Array => {
      const t = cpu.get(name);
      if (!t) throw new ModelConfigError(`tensor "${name}" is missing from the weights`);
      if (t.length !== n) throw new ModelConfigError(`tensor "${name}" has ${t.length} values but the config implies ${shape}`);
      return t;
    };
    const posStart = need('var.pos_start', C, `[1, 1, ${C}]`);
    const pos = need('var.pos_1LC', L * C, `[1, ${L}, ${C}] (scales ${config.scales.join(',')})`);
    const lvl = need('var.lvl_embed.weight', S * C, `[${S}, ${C}]`);
    const classEmb = need('var.class_emb.weight', (a.numClasses + 1) * C, `[${a.numClasses + 1}, ${C}]`);
    const posLvl = new Float32Array(L * C);
    let i = 0;
    config.scales.forEach((p, s) => {
      for (let t = 0; t < p * p; t++, i++) for (let c = 0; c < C; c++) posLvl[i * C + c] = pos[i * C + c] + lvl[s * C + c];
    });
    const first = Float32Array.from(posStart, (x, c) => x + posLvl[c]);
    const toF32 = (name: string, info: TensorInfo) => {
      const n = info.shape.reduce((x, y) => x * y, 1);
      return F32_TENSORS.test(name) || info.shape.length < 2 || n % 2 === 1 || (info.shape.length === 2 && info.shape[1] % 2 === 1);
    };
    const weights = uploadSafetensors(ctx, files, toF32, ['F32', 'F16', 'I8']);
    try {
      return new VarModel(ctx, config, weights, classEmb, first, posLvl);
    } catch (e) {
      weights.destroy();
      throw e;
    }
  }

  get gpuBytes(): number {
    return this.weights.totalBytes;
  }

  destroy(): void {
    this.weights.destroy();
    this.decoder.destroy();
    this.posLvl.destroy();
  }
}
