/**
 * A loaded NextFlow-family model: config, tokenizer, weights on the GPU, the transformer's and the
 * VQ's tensors bound by name. Loading checks every tensor's shape against the config, so a config
 * that does not match its weights fails here with ModelConfigError, before any generation.
 */
import type { GpuContext } from '../../gpu/device';
import { uploadBuffer } from '../../gpu/buffers';
import type { TensorInfo } from '../../formats/safetensors';
import { loadTextTokenizer, type TextTokenizer } from '../../tokenizer/text-tokenizer';
import type { LinearWeights } from '../../kernels/matmul';
import { ModelConfigError } from '../../api/errors';
import { readTensorsF32, uploadSafetensors, weightFiles, type ByteSource, type GpuWeight, type WeightSet } from '../weights';
import { parseNextFlowConfig, type NextFlowConfig } from './config';
import { bindTransformerWeights, type TransformerWeights } from './transformer';
import { VqDecoder } from './vq-decoder';
import { VqEncoder } from './vq-encoder';

/** Tensors the kernels read as f32 rows (gathers, norms, biases), whatever their stored dtype. */
const F32_TENSORS = /(embed_tokens\.weight|codebook\.weight|scale_emb|norm.*\.weight|\.bias)$/;

export interface ModelSources {
  config: unknown;
  tokenizer?: unknown;
  /** The safetensors files named by config.files.weights. */
  weights: Map<string, ByteSource>;
}

export class NextFlowModel {
  readonly transformer: TransformerWeights;
  readonly codebook: GpuWeight;
  readonly decoder: VqDecoder;
  /** Present when the weights hold the VQ encoder (images in chat messages). */
  readonly encoder?: VqEncoder;
  private imgIn: GpuWeight;
  /** [S, dim] f32: img_in.bias + scale_emb[s], so one Linear adds both. */
  private imgInBias: GPUBuffer;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: NextFlowConfig,
    readonly tokenizer: TextTokenizer,
    readonly weights: WeightSet,
    imgInBiasPerScale: Float32Array,
  ) {
    const a = config.arch;
    const v = config.vocab;
    this.transformer = bindTransformerWeights(weights, a, v.size);
    this.imgIn = weights.expectShape('lm.img_in.weight', [a.dim, config.vq.codeDim]);
    this.codebook = weights.expectShape('vq.codebook.weight', [config.vq.codebookSize, config.vq.codeDim]);
    this.imgInBias = uploadBuffer(ctx, imgInBiasPerScale, 'img-in-bias');
    this.decoder = new VqDecoder(ctx, weights, config.vq);
    if (weights.has('vq.encoder.conv_in.weight')) this.encoder = new VqEncoder(ctx, weights, config.vq, this.codebook);
    weights.markUsed('lm.img_in.bias', 'lm.scale_emb'); // read on the CPU (imgInBiasPerScale)
    weights.assertAllUsed();
  }

  static load(ctx: GpuContext, src: ModelSources): NextFlowModel {
    const config = parseNextFlowConfig(src.config);
    if (!src.tokenizer) throw new ModelConfigError('the model folder has no tokenizer.json');
    const tokenizer = loadTextTokenizer(src.tokenizer);
    const files = weightFiles(config.files.weights, src.weights);
    const cpu = readTensorsF32(files, ['lm.img_in.bias', 'lm.scale_emb']);
    const a = config.arch;
    const S = config.vq.scales.length;
    const bias = cpu.get('lm.img_in.bias');
    const semb = cpu.get('lm.scale_emb');
    if (!bias || bias.length !== a.dim) throw new ModelConfigError(`lm.img_in.bias must have ${a.dim} values`);
    if (!semb || semb.length !== S * a.dim) throw new ModelConfigError(`lm.scale_emb must be [${S}, ${a.dim}] (one row per scale)`);
    const perScale = new Float32Array(S * a.dim);
    for (let s = 0; s < S; s++) for (let d = 0; d < a.dim; d++) perScale[s * a.dim + d] = bias[d] + semb[s * a.dim + d];
    const weights = uploadSafetensors(ctx, files, (name: string, info: TensorInfo) => F32_TENSORS.test(name) || info.shape.length !== 2);
    try {
      return new NextFlowModel(ctx, config, tokenizer, weights, perScale);
    } catch (e) {
      weights.destroy();
      throw e;
    }
  }

  /** img_in with the bias of scale s (img_in.bias + scale_emb[s]). */
  imgInForScale(s: number): LinearWeights {
    const w = this.imgIn;
    return { dtype: w.dtype, w: { buffer: w.buffer, offset: w.offset }, bias: { buffer: this.imgInBias, offset: s * this.config.arch.dim } };
  }

  /** True when the weights include the VQ encoder, so chat can read images. */
  get canSeeImages(): boolean {
    return this.encoder !== undefined;
  }

  get gpuBytes(): number {
    return this.weights.totalBytes;
  }

  destroy(): void {
    this.weights.destroy();
    this.imgInBias.destroy();
    this.decoder.destroy();
    this.encoder?.destroy();
  }
}
