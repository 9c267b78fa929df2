/**
 * The Infinity-family model config (config.json written by models/infinity/convert-pth.ts from the official
 * checkpoints; docs/model-format.md), parsed and checked. Every size comes from the tensors' shapes at
 * conversion; here they are checked against each other.
 */
import { ModelConfigError } from '../../api/errors';
import { ints, num, obj, optNum, type Json } from '../config-json';
import { RESOLUTION_SCALES } from './schedule';

export interface InfinityArch {
  depth: number;
  dim: number;
  heads: number;
  headDim: number;
  ffn: number;
  /** d: bits per token (the BSQ code width); the head gives 2d logits. */
  bits: number;
  /** Width of the text features (2048 for flan-t5-xl). */
  textDim: number;
  /** Rows of cfg_uncond: the longest text the learned negative covers. */
  textMaxLen: number;
  /** Heads of the attention pool (text width / 128). */
  poolHeads: number;
  /** Rows of lvl_embed: the most scales a schedule may have. */
  levels: number;
  normEps: number;
}

export interface InfinityVae {
  ch: number;
  chMult: number[];
  numResBlocks: number;
  gnGroups: number;
  gnEps: number;
}

export interface InfinityConfig {
  name: string;
  family: 'infinity';
  arch: InfinityArch;
  vae: InfinityVae;
  /** Defaults of a request: resolution class and h/w. */
  image: { resolution: number; hDivW: number };
  sampling: { cfg: number; topK: number; topP: number; temperature: number };
  files: { weights: string[] };
}

export function parseInfinityConfig(json: unknown): InfinityConfig {
  if (!json || typeof json !== 'object') throw new ModelConfigError('config.json is not a JSON object');
  const c = json as Json;
  if (c.family !== 'infinity') throw new ModelConfigError(`family "${String(c.family)}" is not "infinity"`);
  const a = obj(c, 'architecture', 'config');
  const v = obj(c, 'vae', 'config');
  const im = c.image === undefined ? {} : obj(c, 'image', 'config');
  const s = c.sampling === undefined ? {} : obj(c, 'sampling', 'config');
  const files = obj(c, 'files', 'config');
  const pos = { int: true, min: 1 };
  const arch: InfinityArch = {
    depth: num(a, 'depth', 'architecture', pos),
    dim: num(a, 'dim', 'architecture', pos),
    heads: num(a, 'heads', 'architecture', pos),
    headDim: num(a, 'head_dim', 'architecture', pos),
    ffn: num(a, 'ffn', 'architecture', pos),
    bits: num(a, 'bits', 'architecture', pos),
    textDim: num(a, 'text_dim', 'architecture', pos),
    textMaxLen: num(a, 'text_max_len', 'architecture', pos),
    poolHeads: num(a, 'pool_heads', 'architecture', pos),
    levels: num(a, 'levels', 'architecture', pos),
    normEps: optNum(a, 'norm_eps', 'architecture', 1e-6, { min: 0, max: 1 }),
  };
  if (arch.heads * arch.headDim !== arch.dim) throw new ModelConfigError(`architecture heads·head_dim = ${arch.heads * arch.headDim} is not dim = ${arch.dim}`);
  if (arch.headDim % 4) throw new ModelConfigError(`architecture.head_dim ${arch.headDim} must be a multiple of 4 (2D RoPE rotates pairs, half by row and half by column)`);
  if (arch.dim % arch.poolHeads) throw new ModelConfigError(`architecture.pool_heads ${arch.poolHeads} does not divide dim ${arch.dim}`);
  if (arch.bits > 32) throw new ModelConfigError(`architecture.bits ${arch.bits} is over 32: a token's bits must pack into one integer`);
  const vae: InfinityVae = {
    ch: num(v, 'ch', 'vae', pos),
    chMult: ints(v, 'ch_mult', 'vae'),
    numResBlocks: num(v, 'num_res_blocks', 'vae', pos),
    gnGroups: optNum(v, 'gn_groups', 'vae', 32, pos),
    gnEps: optNum(v, 'gn_eps', 'vae', 1e-6, { min: 0, max: 1 }),
  };
  if (!vae.chMult.length || vae.chMult.some((m) => m < 1)) throw new ModelConfigError(`vae.ch_mult ${JSON.stringify(vae.chMult)} must be positive`);
  for (const m of vae.chMult) if ((vae.ch * m) % vae.gnGroups) throw new ModelConfigError(`vae width ${vae.ch * m} is not a multiple of its ${vae.gnGroups} GroupNorm groups`);
  const resolution = optNum(im, 'resolution', 'image', 256, pos);
  if (!RESOLUTION_SCALES[resolution]) throw new ModelConfigError(`image.resolution ${resolution} is not one of ${Object.keys(RESOLUTION_SCALES).join(', ')}`);
  if (RESOLUTION_SCALES[resolution] > arch.levels) throw new ModelConfigError(`image.resolution ${resolution} needs ${RESOLUTION_SCALES[resolution]} scales but lvl_embed has ${arch.levels}`);
  const weights = files.weights;
  if (!Array.isArray(weights) || !weights.length || !weights.every((w) => typeof w === 'string')) throw new ModelConfigError('files.weights must list the safetensors files');
  return {
    name: typeof c.name === 'string' ? c.name : 'infinity',
    family: 'infinity',
    arch,
    vae,
    image: { resolution, hDivW: optNum(im, 'h_div_w', 'image', 1, { min: 0.01, max: 100 }) },
    // The official inference defaults (tools/run_infinity.py): CFG 3 on logits, τ 0.5, top-p 0.97 per bit.
    sampling: {
      cfg: optNum(s, 'cfg', 'sampling', 3, { min: 0, max: 100 }),
      topK: optNum(s, 'top_k', 'sampling', 0, { int: true, min: 0 }),
      topP: optNum(s, 'top_p', 'sampling', 0.97, { min: 0, max: 1 }),
      temperature: optNum(s, 'temperature', 'sampling', 0.5, { min: 0, max: 100 }),
    },
    files: { weights: weights as string[] },
  };
}
