/**
 * A VAR model on the CPU backend: the same model folder as WebGPU (a converted folder, or the `.pth`
 * files converted by the store), read as f32 with the same checks (models/cpu-weights.ts), turned at
 * load time into four onnxruntime sessions (ada, step, phi, VAE decoder), plus what the TypeScript glue
 * reads: the codebook, the class embeddings and the per-position additive inputs.
 */
import type * as Ort from 'onnxruntime-web';
import { ModelConfigError } from '../../../api/errors';
import { CpuWeights } from '../../../models/cpu-weights';
import { weightFiles } from '../../../models/weights';
import type { ModelFiles } from '../../../models/family';
import { parseVarConfig, type VarConfig } from '../../../models/var/config';
import { assertWasmFits, type OrtModule, type WasmRuntime } from '../runtime';
import { sessionMaker } from '../sessions';
import { buildVarAdaGraph, buildVarStepGraph } from './step-graph';
import { buildVarDecoderGraph, buildVarPhiGraph } from './vae-graph';

export interface VarSessions {
  ada: Ort.InferenceSession;
  step: Ort.InferenceSession;
  phi: Ort.InferenceSession;
  decoder: Ort.InferenceSession;
}

export class WasmVarModel {
  /** First token of each scale in the whole sequence, and the sequence's length. */
  readonly begins: number[] = [];
  readonly totalTokens: number;

  private constructor(
    readonly ort: OrtModule,
    readonly config: VarConfig,
    readonly s: VarSessions,
    /** f32 [V, z]. */
    readonly codebook: Float32Array,
    /** f32 [numClasses + 1, C] (the last row is the null class). */
    readonly classEmb: Float32Array,
    /** f32 [C]: pos_start + pos_1LC[0] + lvl_embed[0], added to the class embedding at scale 0. */
    readonly firstTokenBias: Float32Array,
    /** f32 [L, C]: pos_1LC[i] + lvl_embed[scale of i]. */
    readonly posLvl: Float32Array,
    readonly parameters: number,
    readonly weightBytes: number,
  ) {
    let L = 0;
    for (const p of config.scales) {
      this.begins.push(L);
      L += p * p;
    }
    this.totalTokens = L;
  }

  static async load(rt: WasmRuntime, files: ModelFiles): Promise<WasmVarModel> {
    const config = parseVarConfig(files.config);
    const w = new CpuWeights(weightFiles(config.files.weights, files.files), ['F32', 'F16', 'I8']);
    assertWasmFits(`The model "${config.name}"`, w.f32Bytes);
    const { arch: a, vae: v, scales } = config;
    const C = a.dim;
    const S = scales.length;
    const L = scales.reduce((n, p) => n + p * p, 0);
    const shapes: Array<[string, number[]]> = [
      ['var.pos_start', [1, 1, C]], ['var.pos_1LC', [1, L, C]], ['var.lvl_embed.weight', [S, C]], ['var.class_emb.weight', [a.numClasses + 1, C]],
      ['var.word_embed.weight', [C, v.zChannels]], ['var.head.weight', [v.vocabSize, C]], ['vae.quantize.embedding.weight', [v.vocabSize, v.zChannels]],
    ];
    for (let l = 0; l < a.depth; l++) {
      const p = `var.blocks.${l}.`;
      shapes.push([`${p}attn.mat_qkv.weight`, [3 * C, C]], [`${p}attn.qkv_bias`, [3 * C]], [`${p}attn.q_bias`, [C]], [`${p}attn.v_bias`, [C]],
        [`${p}attn.scale_mul_1H11`, [1, a.heads, 1, 1]], [`${p}ffn.fc1.weight`, [a.ffn, C]], [`${p}ffn.fc2.weight`, [C, a.ffn]], [`${p}ada_lin.1.weight`, [6 * C, C]]);
    }
    for (let k = 0; k < v.phiCount; k++) shapes.push([`vae.quantize.quant_resi.qresi_ls.${k}.weight`, [v.zChannels, v.zChannels, 3, 3]]);
    for (const [name, shape] of shapes) {
      const have = w.shape(name);
      if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) throw new ModelConfigError(`tensor "${name}" has shape [${have}] but the config implies [${shape}]`);
    }
    const posStart = w.get('var.pos_start').values;
    const pos = w.get('var.pos_1LC').values;
    const lvl = w.get('var.lvl_embed.weight').values;
    const posLvl = new Float32Array(L * C);
    let i = 0;
    scales.forEach((p, s) => {
      for (let t = 0; t < p * p; t++, i++) for (let c = 0; c < C; c++) posLvl[i * C + c] = pos[i * C + c] + lvl[s * C + c];
    });
    const first = Float32Array.from(posStart, (x, c) => x + posLvl[c]);
    const classEmb = w.get('var.class_emb.weight').values;
    const codebook = w.get('vae.quantize.embedding.weight').values;
    // The official q_bias and v_bias travel along; the converter folded them into qkv_bias, which the graph reads.
    for (let l = 0; l < a.depth; l++) for (const b of ['q_bias', 'v_bias']) w.get(`var.blocks.${l}.attn.${b}`);
    const read = (name: string) => w.get(name);
    const graphs = {
      ada: buildVarAdaGraph(a, read),
      step: buildVarStepGraph(a, v.vocabSize, v.zChannels, read),
      phi: buildVarPhiGraph(config, read),
      decoder: buildVarDecoderGraph(config, read),
    };
    w.assertAllUsed();
    const session = sessionMaker(rt, config.name);
    const s: VarSessions = {
      ada: await session(graphs.ada, 'AdaLN projections'),
      step: await session(graphs.step, 'transformer step'),
      phi: await session(graphs.phi, 'Phi residual update'),
      decoder: await session(graphs.decoder, 'VAE decoder'),
    };
    return new WasmVarModel(rt.ort, config, s, codebook, classEmb, first, posLvl, w.parameters, w.f32Bytes);
  }

  destroy(): void {
    for (const s of Object.values(this.s)) void s.release();
  }
}
