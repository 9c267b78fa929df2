/**
 * An Infinity model on the CPU backend: the converted folder (models/infinity/convert-pth.ts) read as f32
 * with the usual checks (models/cpu-weights.ts), turned at load time into three onnxruntime sessions (text,
 * step, VAE decoder), plus what the TypeScript glue reads: the learned CFG negative, the start token's
 * offset and the level embeddings.
 */
import type * as Ort from 'onnxruntime-web';
import { CpuWeights } from '../../../models/cpu-weights';
import { weightFiles } from '../../../models/weights';
import type { ModelFiles } from '../../../models/family';
import { parseInfinityConfig, type InfinityConfig } from '../../../models/infinity/config';
import { infinityShapes } from '../../../models/infinity/checkpoint-layout';
import { infinityMemory } from '../../../models/infinity/memory';
import { assertWasmFits, type OrtModule, type WasmRuntime } from '../runtime';
import { sessionMaker } from '../sessions';
import { ModelConfigError } from '../../../api/errors';
import { buildInfinityStepGraph, buildInfinityTextGraph } from './step-graph';
import { buildInfinityDecoderGraph } from './vae-graph';

export interface InfinitySessions {
  text: Ort.InferenceSession;
  step: Ort.InferenceSession;
  decoder: Ort.InferenceSession;
}

export class WasmInfinityModel {
  private constructor(
    readonly ort: OrtModule,
    readonly config: InfinityConfig,
    readonly s: InfinitySessions,
    /** f32 [textMaxLen, textDim]: the learned negative prompt, cfg_uncond[:L] for L text tokens. */
    readonly cfgUncond: Float32Array,
    /** f32 [C]. */
    readonly posStart: Float32Array,
    /** f32 [levels, C]. */
    readonly lvlEmbed: Float32Array,
    readonly parameters: number,
    /** Bytes of the weights as f32. */
    readonly weightBytes: number,
  ) {}

  static async load(rt: WasmRuntime, files: ModelFiles): Promise<WasmInfinityModel> {
    const config = parseInfinityConfig(files.config);
    const w = new CpuWeights(weightFiles(config.files.weights, files.files), ['F32', 'F16', 'I8']);
    const a = config.arch;
    const mem = infinityMemory(config, config.image.resolution, config.image.hDivW, w.f32Bytes);
    // Weights twice (the initializers and the sessions' copies), plus one image's work at the default resolution.
    assertWasmFits(`The model "${config.name}"`, w.f32Bytes, { bytes: mem.workBytes, detail: mem.describe });
    for (const [name, shape] of infinityShapes(a)) {
      const have = w.shape(`infinity.${name}`);
      if (have.join() !== shape.join()) throw new ModelConfigError(`tensor "infinity.${name}" has shape [${have}] but the config implies [${shape}]`);
    }
    // The official q_bias and v_bias travel along; the converter folded them into qkv_bias, which the graph reads.
    for (let l = 0; l < a.depth; l++) for (const b of ['q_bias', 'v_bias']) w.get(`infinity.blocks.${l}.sa.${b}`);
    const read = (name: string) => w.get(name);
    const cfgUncond = read('infinity.cfg_uncond').values;
    const posStart = read('infinity.pos_start').values;
    const lvlEmbed = read('infinity.lvl_embed.weight').values;
    const graphs = {
      text: buildInfinityTextGraph(a, read),
      step: buildInfinityStepGraph(a, read),
      decoder: buildInfinityDecoderGraph(config.vae, a.bits, read),
    };
    w.assertAllUsed();
    const session = sessionMaker(rt, config.name);
    const s: InfinitySessions = {
      text: await session(graphs.text, 'text conditioning'),
      step: await session(graphs.step, 'transformer step'),
      decoder: await session(graphs.decoder, 'VAE decoder'),
    };
    return new WasmInfinityModel(rt.ort, config, s, cfgUncond, posStart, lvlEmbed, w.parameters, w.f32Bytes);
  }

  destroy(): void {
    for (const s of Object.values(this.s)) void s.release();
  }
}
