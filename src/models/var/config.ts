/**
 * The VAR-family model config (config.json written by tools/convert_var.py from the official
 * checkpoints; docs/model-format.md), parsed and checked.
 */
import { ModelConfigError } from '../../api/errors';
import { ints, num, obj, optNum, type Json } from '../config-json';

export interface VarArch {
  depth: number;
  /** C = 64·depth for the released models. */
  dim: number;
  heads: number;
  headDim: number;
  ffn: number;
  numClasses: number;
  lnEps: number;
}

export interface VarVae {
  vocabSize: number;
  zChannels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  quantResi: number;
  phiCount: number;
  /** The shared Phi conv used at each scale (VAR: 0,0,1,1,1,2,2,3,3,3). */
  phiIndex: number[];
  gnGroups: number;
  gnEps: number;
}

export interface VarConfig {
  name: string;
  family: 'var';
  arch: VarArch;
  vae: VarVae;
  scales: number[];
  imageSize: number;
  sampling: { cfg: number; topK: number; topP: number; temperature: number };
  classNames: string[] | null;
  files: { weights: string[] };
}

export function parseVarConfig(json: unknown): VarConfig {
  if (!json || typeof json !== 'object') throw new ModelConfigError('config.json is not a JSON object');
  const c = json as Json;
  if (c.family !== 'var') throw new ModelConfigError(`family "${String(c.family)}" is not "var"`);
  const a = obj(c, 'architecture', 'config');
  const v = obj(c, 'vae', 'config');
  const im = obj(c, 'image', 'config');
  const s = c.sampling === undefined ? {} : obj(c, 'sampling', 'config');
  const files = obj(c, 'files', 'config');
  if (a.shared_aln) throw new ModelConfigError('architecture.shared_aln = true (VAR-d36 style shared AdaLN) is not supported yet');
  if (a.attn_l2_norm === false) throw new ModelConfigError('architecture.attn_l2_norm = false is not supported: the released 256px models use l2-norm attention');
  const arch: VarArch = {
    depth: num(a, 'depth', 'architecture', { int: true, min: 1 }),
    dim: num(a, 'dim', 'architecture', { int: true, min: 1 }),
    heads: num(a, 'heads', 'architecture', { int: true, min: 1 }),
    headDim: num(a, 'head_dim', 'architecture', { int: true, min: 1 }),
    ffn: num(a, 'ffn', 'architecture', { int: true, min: 1 }),
    numClasses: num(a, 'num_classes', 'architecture', { int: true, min: 1 }),
    lnEps: optNum(a, 'ln_eps', 'architecture', 1e-6, { min: 0, max: 1 }),
  };
  if (arch.heads * arch.headDim !== arch.dim) throw new ModelConfigError(`architecture heads·head_dim = ${arch.heads * arch.headDim} is not dim = ${arch.dim}`);
  if (arch.headDim !== 64 && arch.headDim !== 128) throw new ModelConfigError(`architecture.head_dim ${arch.headDim} is not one the attention kernel supports (64, 128)`);
  const scales = ints(im, 'scales', 'image');
  if (!scales.length || scales.some((p, i) => p < 1 || (i > 0 && p <= scales[i - 1]))) throw new ModelConfigError(`image.scales ${JSON.stringify(scales)} must be increasing and ≥ 1`);
  const vae: VarVae = {
    vocabSize: num(v, 'vocab_size', 'vae', { int: true, min: 1 }),
    zChannels: num(v, 'z_channels', 'vae', { int: true, min: 1 }),
    ch: num(v, 'ch', 'vae', { int: true, min: 1 }),
    chMult: ints(v, 'ch_mult', 'vae'),
    numResBlocks: num(v, 'num_res_blocks', 'vae', { int: true, min: 1 }),
    quantResi: num(v, 'quant_resi', 'vae'),
    phiCount: num(v, 'phi_count', 'vae', { int: true, min: 1 }),
    phiIndex: ints(v, 'phi_index', 'vae', scales.length),
    gnGroups: typeof v.gn_groups === 'number' ? v.gn_groups : 32,
    gnEps: typeof v.gn_eps === 'number' ? v.gn_eps : 1e-6,
  };
  if (vae.phiIndex.some((k) => k >= vae.phiCount)) throw new ModelConfigError(`vae.phi_index ${JSON.stringify(vae.phiIndex)} names a Phi conv ≥ phi_count ${vae.phiCount}`);
  const imageSize = num(im, 'size', 'image', { int: true, min: 1 });
  const up = 2 ** (vae.chMult.length - 1);
  if (imageSize !== scales[scales.length - 1] * up) throw new ModelConfigError(`image.size ${imageSize} is not the last scale ${scales[scales.length - 1]} × ${up} (the decoder's upsampling)`);
  const names = c.class_names;
  const classNames = Array.isArray(names) && names.length === arch.numClasses && names.every((n) => typeof n === 'string') ? (names as string[]) : null;
  const weights = files.weights;
  if (!Array.isArray(weights) || !weights.length || !weights.every((w) => typeof w === 'string')) throw new ModelConfigError('files.weights must list the safetensors files');
  return {
    name: typeof c.name === 'string' ? c.name : 'var',
    family: 'var',
    arch,
    vae,
    scales,
    imageSize,
    // VAR's published defaults (cfg 4, top-k 900, top-p 0.95) where the config gives none.
    sampling: {
      cfg: optNum(s, 'cfg', 'sampling', 4, { min: 0, max: 100 }),
      topK: optNum(s, 'top_k', 'sampling', 900, { int: true, min: 0 }),
      topP: optNum(s, 'top_p', 'sampling', 0.95, { min: 0, max: 1 }),
      temperature: optNum(s, 'temperature', 'sampling', 1, { min: 0, max: 100 }),
    },
    classNames,
    files: { weights: weights as string[] },
  };
}
