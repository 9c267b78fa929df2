/**
 * A NextFlow-family model on the CPU backend: the same model folder as WebGPU (config, tokenizer, the
 * safetensors files, read as f32 with the same checks: models/cpu-weights.ts), turned at load time into
 * onnxruntime sessions — the decoder step with its KV cache, the VQ decoder and, when the weights hold it,
 * the VQ encoder — plus the codebook for the TypeScript glue.
 */
import type * as Ort from 'onnxruntime-web';
import { ModelConfigError } from '../../../api/errors';
import { sessionMaker } from '../sessions';
import { CpuWeights } from '../../../models/cpu-weights';
import { weightFiles } from '../../../models/weights';
import type { ModelFiles } from '../../../models/family';
import { nextflowSources } from '../../../models/nextflow/family';
import { parseNextFlowConfig, type NextFlowConfig } from '../../../models/nextflow/config';
import { loadTextTokenizer, type TextTokenizer } from '../../../tokenizer/text-tokenizer';
import { assertWasmFits, type OrtModule, type WasmRuntime } from '../runtime';
import { codebookNorms } from '../cpu-ops';
import { buildNextFlowStepGraph } from './step-graph';
import { buildVqDecoderGraph } from './vq-decoder-graph';
import { buildVqEncoderGraph } from './vq-encoder-graph';
import { NextFlowSequence } from './sequence';

export class WasmNextFlowModel {
  private constructor(
    readonly ort: OrtModule,
    readonly config: NextFlowConfig,
    readonly tokenizer: TextTokenizer,
    readonly codebook: Float32Array,
    readonly codebookNorms: Float32Array,
    private step: Ort.InferenceSession,
    readonly decoder: Ort.InferenceSession,
    readonly encoder: Ort.InferenceSession | undefined,
    readonly parameters: number,
    readonly weightBytes: number,
  ) {}

  static async load(rt: WasmRuntime, files: ModelFiles): Promise<WasmNextFlowModel> {
    const src = nextflowSources(files);
    const config = parseNextFlowConfig(src.config);
    if (!src.tokenizer) throw new ModelConfigError('the model folder has no tokenizer.json');
    const tokenizer = loadTextTokenizer(src.tokenizer);
    const w = new CpuWeights(weightFiles(config.files.weights, src.weights));
    // The graphs hold every weight as f32, and onnxruntime copies them once more while it loads.
    assertWasmFits(`The model "${config.name}"`, w.f32Bytes);
    const { arch: a, vocab: v, vq } = config;
    for (const [name, shape] of [
      ['lm.embed_tokens.weight', [v.size, a.dim]], ['lm.head.weight', [v.size, a.dim]], ['lm.img_in.weight', [a.dim, vq.codeDim]],
      ['lm.img_in.bias', [a.dim]], ['lm.scale_emb', [vq.scales.length, a.dim]],
      ['lm.layers.0.q_proj.weight', [a.heads * a.headDim, a.dim]], ['lm.layers.0.k_proj.weight', [a.kvHeads * a.headDim, a.dim]],
      ['lm.layers.0.gate_proj.weight', [a.ffn, a.dim]], [`lm.layers.${a.layers - 1}.down_proj.weight`, [a.dim, a.ffn]],
    ] as Array<[string, number[]]>) {
      const have = w.shape(name);
      if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) throw new ModelConfigError(`tensor "${name}" has shape [${have}] but the config implies [${shape}]`);
    }
    const codebook = w.expect('vq.codebook.weight', [vq.codebookSize, vq.codeDim]).values;
    const read = (name: string) => w.get(name);
    const graphs = {
      step: buildNextFlowStepGraph(a, v.size, vq.codeDim, read),
      decoder: buildVqDecoderGraph(vq, read),
      encoder: w.has('vq.encoder.conv_in.weight') ? buildVqEncoderGraph(vq, read) : undefined,
    };
    w.assertAllUsed();
    const session = sessionMaker(rt, config.name);
    const step = await session(graphs.step, 'decoder step');
    const decoder = await session(graphs.decoder, 'VQ decoder');
    const encoder = graphs.encoder ? await session(graphs.encoder, 'VQ encoder') : undefined;
    return new WasmNextFlowModel(rt.ort, config, tokenizer, codebook, codebookNorms(codebook, vq.codebookSize, vq.codeDim), step, decoder, encoder, w.parameters, w.f32Bytes);
  }

  /** A new sequence (empty KV cache) of B rows. */
  sequence(B: number): NextFlowSequence {
    return new NextFlowSequence(this.ort, this.step, this.config.arch, this.config.vq.codeDim, B);
  }

  destroy(): void {
    for (const s of [this.step, this.decoder, this.encoder]) void s?.release();
  }
}
