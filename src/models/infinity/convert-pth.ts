/**
 * The official Infinity checkpoints (a transformer .pth and a BSQ VAE .pth, read by formats/pth.ts) converted
 * to a nextscale model folder in memory: every key and shape checked (checkpoint-layout.ts), canonical names
 * under "infinity." and "vae.", the fused q/0/v bias of each self-attention added, and the tensors stored
 * as the files hold them by default ('source': f16 stays f16, f32 and bf16 become f32), or in f16 / int8.
 * Tensor by tensor: only the converted model and the tensor being converted are held at once.
 */
import { CheckpointLayoutError } from '../../api/errors';
import type { PthTensor } from '../../formats/pth';
import { asF32, encodeTensor, packShards, type ConvertDtype, type PlannedTensor } from '../checkpoint-pack';
import { inspectInfinity, inspectInfinityVae } from './checkpoint-layout';

export interface InfinityConvertOptions {
  /** 'source' (default) keeps the files' precision. */
  dtype?: 'source' | ConvertDtype;
  name?: string;
  /** The files' names, recorded in config.json ("source"). */
  modelFile: string;
  vaeFile: string;
  onTensor?: (done: number, total: number) => void;
}

/** Small tables the runtime reads on the CPU: always f32. */
const KEEP_F32 = /^infinity\.(cfg_uncond|pos_start|lvl_embed\.weight|text_proj_for_sos\.ca\.mat_q)$|scale_mul_1H11$|ada_gss$/;

/** Whether a transformer checkpoint is Infinity's (its text path and shared AdaLN), not VAR's. */
export function isInfinityCheckpoint(names: Iterable<string>): boolean {
  for (const k of names) if (k === 'cfg_uncond' || k.startsWith('text_proj_for_sos.') || k.startsWith('shared_ada_lin.')) return true;
  return false;
}

export async function convertInfinityPth(modelTensors: PthTensor[], vaeTensors: PthTensor[], o: InfinityConvertOptions): Promise<{ config: Record<string, unknown>; files: Map<string, Uint8Array> }> {
  const m = inspectInfinity(new Map(modelTensors.map((t) => [t.name, t])));
  const v = inspectInfinityVae(new Map(vaeTensors.map((t) => [t.name, t])));
  if (v.bits !== m.bits) throw new CheckpointLayoutError('vae-mismatch', `the transformer predicts ${m.bits} bits per token but the VAE decodes ${v.bits}; pick the VAE trained with it (e.g. infinity_vae_d${m.bits}*.pth)`);
  const dtype = o.dtype ?? 'source';
  const name = o.name ?? `infinity-d${m.depth}-c${m.dim}`;
  const meta = { format: 'nextscale', model: name };
  const plan: Array<PlannedTensor & { source: PthTensor['dtype'] }> = [];
  for (const [k, t] of m.tensors) {
    // scale_mul may be stored 1H11 or 11H1 (the flash layout): the same values, stored as 1H11.
    const shape = k.endsWith('scale_mul_1H11') ? [1, m.heads, 1, 1] : t.shape;
    plan.push({ name: `infinity.${k}`, shape, values: () => asF32(t), source: t.dtype });
    if (k.endsWith('.sa.v_bias')) {
      const q = m.tensors.get(k.replace('v_bias', 'q_bias'))!;
      plan.push({
        name: `infinity.${k.replace('v_bias', 'qkv_bias')}`,
        shape: [3 * m.dim],
        source: 'F32',
        values: async () => {
          const out = new Float32Array(3 * m.dim);
          out.set(await asF32(q), 0);
          out.set(await asF32(t), 2 * m.dim);
          return out;
        },
      });
    }
  }
  for (const [k, t] of v.tensors) plan.push({ name: `vae.${k}`, shape: t.shape, values: () => asF32(t), source: t.dtype });
  const sourceOf = new Map(plan.map((p) => [p.name, p.source]));
  const { files, shardNames } = await packShards(
    plan,
    meta,
    (n, shape, values) => {
      const d: ConvertDtype = dtype === 'source' ? (sourceOf.get(n) === 'F16' ? 'f16' : 'f32') : dtype;
      return encodeTensor(n, shape, values, d, KEEP_F32.test(n));
    },
    o.onTensor,
  );
  const count = (ts: Iterable<PthTensor>) => [...ts].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const config = {
    format: 'nextscale-model', version: 1, name, family: 'infinity',
    architecture: {
      depth: m.depth, dim: m.dim, heads: m.heads, head_dim: m.dim / m.heads, ffn: m.ffn, bits: m.bits,
      text_dim: m.textDim, text_max_len: m.textMaxLen, pool_heads: m.poolHeads, levels: m.levels, norm_eps: 1e-6,
    },
    vae: { ch: v.ch, ch_mult: v.chMult, num_res_blocks: v.numResBlocks, gn_groups: 32, gn_eps: 1e-6 },
    image: { resolution: 256, h_div_w: 1 },
    sampling: { cfg: 3, temperature: 0.5, top_k: 0, top_p: 0.97 },
    files: { weights: shardNames },
    dtype,
    source: { model: o.modelFile, vae: o.vaeFile, model_params: count(m.tensors.values()), vae_decoder_params: count(v.tensors.values()) },
  };
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config, null, 1) + '\n'));
  return { config, files };
}
