/**
 * The official VAR checkpoints (var_dN.pth + vae_ch160v4096z32.pth, read by formats/pth.ts) converted to a
 * nextscale model folder in memory, the same way tools/convert_var.py does: every key and shape checked
 * against the official layout of the depth the keys show, the fused q/0/v bias added, small tables kept in
 * f32 and the rest in f16 (or int8 with per-row scales), packed into safetensors shards of at most 256 MiB.
 * Tensor by tensor: only the converted model and the tensor being converted are held at once. For f16 the
 * shards are byte-identical to the Python converter's (a test checks it).
 */
import { CheckpointLayoutError } from '../../api/errors';
import type { PthTensor } from '../../formats/pth';
import { asF32, encodeTensor, packShards, type ConvertDtype } from '../checkpoint-pack';
import { IMAGENET_CLASSES } from './imagenet-classes';
import { vaeShapes, varShapes, varSize, VAE_CH_MULT, VAE_NUM_RES_BLOCKS, VAE_PHI_COUNT, type Shapes } from './checkpoint-layout';

/** pos_1LC length → the official scale schedule. */
export const KNOWN_PATCH_NUMS: Readonly<Record<number, readonly number[]>> = {
  680: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  2240: [1, 2, 3, 4, 6, 9, 13, 18, 24, 32],
};
const VAR_DROP = new Set(['attn_bias_for_masking', 'lvl_1L']); // recomputed by the runtime
const VAE_KEEP = ['post_quant_conv.', 'decoder.', 'quantize.embedding.weight', 'quantize.quant_resi.qresi_ls.'];
const KEEP_F32 = new Set(['var.pos_start', 'var.pos_1LC', 'var.lvl_embed.weight', 'var.class_emb.weight', 'vae.quantize.embedding.weight']);
export const DEFAULT_SAMPLING = { cfg: 4.0, top_k: 900, top_p: 0.95, temperature: 1.0 };
const QUANT_RESI = 0.5;

export interface ConvertOptions {
  dtype?: ConvertDtype;
  name?: string;
  /** The files' names, recorded in config.json ("source"). */
  varFile: string;
  vaeFile: string;
  /** Another scale schedule than the one pos_1LC's length implies. */
  patchNums?: readonly number[];
  onTensor?: (done: number, total: number) => void;
}

export interface ConvertedVar {
  config: Record<string, unknown>;
  /** config.json and the shards, by file name (the manifest is the store's to write). */
  files: Map<string, Uint8Array>;
}

function names(keys: Iterable<string>, limit = 10): string {
  const k = [...keys].sort();
  return k.slice(0, limit).join(', ') + (k.length > limit ? `, ... (${k.length - limit} more)` : '');
}

function checkAgainst(got: Map<string, PthTensor>, expected: Shapes, what: string): void {
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !expected.has(k));
  if (missing.length) throw new CheckpointLayoutError('missing-keys', `${what}: ${missing.length} of ${expected.size} expected keys missing: ${names(missing)}`);
  if (extra.length) throw new CheckpointLayoutError('unexpected-keys', `${what}: ${extra.length} unexpected keys (expected ${expected.size}): ${names(extra)}`);
  for (const [k, shape] of expected) {
    const s = got.get(k)!.shape;
    if (s.join() !== shape.join()) throw new CheckpointLayoutError('shape', `${what}: ${k} expected shape [${shape}], found [${s}]`);
  }
}

function need(sd: Map<string, PthTensor>, keys: string[], what: string): void {
  const missing = keys.filter((k) => !sd.has(k));
  if (missing.length) throw new CheckpointLayoutError('missing-keys', `${what}: ${missing.length} keys needed to infer the model size are missing: ${names(missing)}`);
}

export function inspectVae(sd: Map<string, PthTensor>): { ch: number; vocab: number; z: number } {
  need(sd, ['decoder.conv_out.weight', 'quantize.embedding.weight'], 'vae');
  const ch = sd.get('decoder.conv_out.weight')!.shape[1];
  const [vocab, z] = sd.get('quantize.embedding.weight')!.shape;
  if (!(ch > 0) || ch % 32) throw new CheckpointLayoutError('shape', `vae: decoder width (decoder.conv_out.weight dim 1) must be a multiple of 32, found ${ch}`);
  checkAgainst(sd, vaeShapes(ch, vocab, z), `vae (ch=${ch}, vocab=${vocab}, z=${z})`);
  return { ch, vocab, z };
}

export function inspectVar(sd: Map<string, PthTensor>, vae: { vocab: number; z: number }, patchNums?: readonly number[]) {
  if ([...sd.keys()].some((k) => k.startsWith('shared_ada_lin') || k.endsWith('ada_gss'))) {
    throw new CheckpointLayoutError('unsupported', 'var: shared AdaLN checkpoint (shared_ada_lin / ada_gss keys, e.g. VAR-d36) is not supported yet; expected per-block blocks.*.ada_lin');
  }
  need(sd, ['pos_start', 'pos_1LC', 'class_emb.weight', 'word_embed.weight', 'head.weight'], 'var');
  const blocks = [...sd.keys()].flatMap((k) => /^blocks\.(\d+)\./.exec(k)?.[1] ?? []).map(Number);
  const depth = blocks.length ? Math.max(...blocks) + 1 : 0;
  const length = sd.get('pos_1LC')!.shape[1];
  const pn = patchNums ?? KNOWN_PATCH_NUMS[length];
  if (!pn) throw new CheckpointLayoutError('shape', `var: pos_1LC has ${length} positions, expected one of ${Object.keys(KNOWN_PATCH_NUMS).join(', ')}`);
  const tokens = pn.reduce((a, p) => a + p * p, 0);
  if (tokens !== length) throw new CheckpointLayoutError('shape', `var: patch_nums [${pn}] give ${tokens} tokens, pos_1LC has ${length}`);
  const vocab = sd.get('head.weight')!.shape[0];
  const z = sd.get('word_embed.weight')!.shape[1];
  if (z !== vae.z) throw new CheckpointLayoutError('vae-mismatch', `var word_embed in-dim is ${z}, VAE z_channels is ${vae.z}; they must be equal`);
  if (vocab !== vae.vocab) throw new CheckpointLayoutError('vae-mismatch', `var head out-dim is ${vocab}, VAE codebook size is ${vae.vocab}; they must be equal`);
  const numClasses = sd.get('class_emb.weight')!.shape[0] - 1;
  checkAgainst(sd, varShapes(depth, pn, numClasses, vocab, z), `var (depth=${depth})`);
  return { depth, patchNums: [...pn], numClasses };
}

/** Phi's index for each scale (VAR's share_quant_resi table: evenly spaced over the 4 shared convs). */
export function phiIndex(scales: number): number[] {
  if (scales === 10) return [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]; // the official table (two float ties, VAR_SPEC §1)
  // numpy.linspace(1/12, 11/12, 4) as numpy computes it (i · step + start), then the first nearest tick.
  const start = 1 / (3 * VAE_PHI_COUNT);
  const step = (1 - start - start) / (VAE_PHI_COUNT - 1);
  const ticks = Array.from({ length: VAE_PHI_COUNT }, (_, i) => i * step + start);
  return Array.from({ length: scales }, (_, si) => {
    const at = si / Math.max(scales - 1, 1);
    let best = 0;
    for (let i = 1; i < ticks.length; i++) if (Math.abs(ticks[i] - at) < Math.abs(ticks[best] - at)) best = i;
    return best;
  });
}

export async function convertVarPth(varTensors: PthTensor[], vaeTensors: PthTensor[], o: ConvertOptions): Promise<ConvertedVar> {
  const dtype = o.dtype ?? 'f16';
  const varSd = new Map(varTensors.map((t) => [t.name, t]));
  const vaeSd = new Map(vaeTensors.map((t) => [t.name, t]));
  const vae = inspectVae(vaeSd);
  const info = inspectVar(varSd, vae, o.patchNums);
  const size = varSize(info.depth);
  const name = o.name ?? `var-d${info.depth}`;
  const meta = { format: 'nextscale', model: name };
  // The order of tools/convert_var.py: VAR keys (a fused q/0/v bias after each v_bias), then the VAE decoder path.
  const plan: Array<{ name: string; shape: number[]; values: () => Promise<Float32Array> }> = [];
  for (const [k, t] of varSd) {
    if (VAR_DROP.has(k) || k.endsWith('attn.zero_k_bias')) continue;
    plan.push({ name: `var.${k}`, shape: t.shape, values: () => asF32(t) });
    if (k.endsWith('attn.v_bias')) {
      const q = varSd.get(k.replace('v_bias', 'q_bias'))!;
      plan.push({
        name: `var.${k.replace('v_bias', 'qkv_bias')}`,
        shape: [3 * size.dim],
        values: async () => {
          const out = new Float32Array(3 * size.dim);
          out.set(await asF32(q), 0);
          out.set(await asF32(t), 2 * size.dim);
          return out;
        },
      });
    }
  }
  for (const [k, t] of vaeSd) if (VAE_KEEP.some((p) => k.startsWith(p))) plan.push({ name: `vae.${k}`, shape: t.shape, values: () => asF32(t) });

  const { files, shardNames } = await packShards(plan, meta, (n, shape, v) => encodeTensor(n, shape, v, dtype, KEEP_F32.has(n) || n.endsWith('scale_mul_1H11')), o.onTensor);
  const count = (sd: Map<string, PthTensor>, keep: (k: string) => boolean) => [...sd].filter(([k]) => keep(k)).reduce((a, [, t]) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const config = {
    format: 'nextscale-model', version: 1, name, family: 'var',
    architecture: { depth: info.depth, dim: size.dim, heads: size.heads, head_dim: size.headDim, ffn: size.ffn, num_classes: info.numClasses, attn_l2_norm: true, shared_aln: false, ln_eps: 1e-6 },
    vae: { vocab_size: vae.vocab, z_channels: vae.z, ch: vae.ch, ch_mult: [...VAE_CH_MULT], num_res_blocks: VAE_NUM_RES_BLOCKS, quant_resi: QUANT_RESI, phi_count: VAE_PHI_COUNT, phi_index: phiIndex(info.patchNums.length), gn_groups: 32, gn_eps: 1e-6 },
    image: { size: 16 * info.patchNums[info.patchNums.length - 1], scales: info.patchNums },
    sampling: { ...DEFAULT_SAMPLING },
    class_names: info.numClasses === IMAGENET_CLASSES.length ? [...IMAGENET_CLASSES] : null,
    files: { weights: shardNames },
    dtype,
    source: { var: o.varFile, vae: o.vaeFile, var_params: count(varSd, (k) => !VAR_DROP.has(k) && !k.endsWith('zero_k_bias')), vae_decoder_params: count(vaeSd, (k) => k.startsWith('decoder.')) },
  };
  files.set('config.json', new TextEncoder().encode(JSON.stringify(config, null, 1) + '\n'));
  return { config, files };
}
