/**
 * The NextFlow-family model config (config.json of a model folder, see docs/model-format.md),
 * parsed and checked. Field names follow the exported JSON; everything the engine needs is here.
 */
import { ModelConfigError } from '../../api/errors';
import { ints, num, obj, optNum, samplingDefaults, type Json } from '../config-json';

/** The longest context config.json may declare (tokens). */
export const MAX_CONTEXT = 1 << 17;

export interface NextFlowArch {
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  rmsEps: number;
  ropeTheta: number;
  ropeSections: [number, number, number];
  /** C of the multi-scale 3D RoPE: image cell (i, j) of an H×W grid sits at C(i+0.5)/H. */
  ropeImageRange: number;
}

export interface NextFlowVocab {
  size: number;
  bos: number;
  eos: number;
  boi: number;
  eoi: number;
  null: number;
  user?: number;
  assistant?: number;
  textStart: number;
  textCount: number;
  imageStart: number;
  imageCount: number;
}

export interface NextFlowVq {
  scales: number[];
  codeDim: number;
  codebookSize: number;
  imageSize: number;
  latentCh: number;
  decWidths: [number, number, number];
  decBlocks: number;
  encWidths: [number, number, number];
  encBlocks: number;
  groups: number;
  groupEps: number;
  /**
   * image.feed_back_finest: a whole image in the context (read, or generated and finished) is followed by a
   * closing block of its finest-scale codes (scale-embedding row 0, RoPE time p0 + S), so the text after it
   * sees every code. Without it the finest scale is never an input.
   */
  feedBackFinest: boolean;
}

export interface NextFlowConfig {
  name: string;
  /** config.json "description": what the model is, in one line (optional). */
  description?: string;
  family: 'nextflow';
  arch: NextFlowArch;
  vocab: NextFlowVocab;
  vq: NextFlowVq;
  maxTextTokens: number;
  /** Longest chat conversation in tokens (config max_context, default 512). */
  contextLength: number;
  /** temperature applies to image codes; textTemperature to text in chat replies (0 = greedy). */
  sampling: { cfg: number; topK: number; topP: number; temperature: number; textTemperature: number };
  files: { weights: string[]; tokenizer?: string };
}

function range(o: Json, key: string, where: string): [number, number] {
  const r = ints(o, key, where, 2);
  if (r[1] < r[0]) throw new ModelConfigError(`${where}.${key} [${r}] is not a range`);
  return [r[0], r[1]];
}

/** Parse config.json as written by tools/export.py (see docs/model-format.md). */
export function parseNextFlowConfig(json: unknown): NextFlowConfig {
  if (!json || typeof json !== 'object') throw new ModelConfigError('config.json is not a JSON object');
  const c = json as Json;
  if (c.family !== 'nextflow') throw new ModelConfigError(`family "${String(c.family)}" is not "nextflow"`);
  const a = obj(c, 'architecture', 'config');
  const rope = obj(a, 'rope', 'architecture');
  const v = obj(c, 'vocab', 'config');
  const sp = obj(v, 'specials', 'vocab');
  const im = obj(c, 'image', 'config');
  const q = obj(c, 'vq', 'config');
  const s = c.sampling === undefined ? {} : obj(c, 'sampling', 'config');
  const files = obj(c, 'files', 'config');
  if (rope.type !== 'multiscale_3d' || (rope.convention ?? 'rotate_half') !== 'rotate_half') {
    throw new ModelConfigError(`architecture.rope ${JSON.stringify(rope)} is not the multi-scale 3D rotate-half RoPE this engine implements`);
  }
  const arch: NextFlowArch = {
    dim: num(a, 'dim', 'architecture', { int: true, min: 1 }),
    layers: num(a, 'layers', 'architecture', { int: true, min: 1 }),
    heads: num(a, 'heads', 'architecture', { int: true, min: 1 }),
    kvHeads: num(a, 'kv_heads', 'architecture', { int: true, min: 1 }),
    headDim: num(a, 'head_dim', 'architecture', { int: true, min: 2 }),
    ffn: num(a, 'ffn', 'architecture', { int: true, min: 1 }),
    rmsEps: num(a, 'rms_eps', 'architecture', { min: 0 }),
    ropeTheta: num(rope, 'theta', 'architecture.rope', { min: 1 }),
    ropeSections: ints(rope, 'sections', 'architecture.rope', 3) as [number, number, number],
    ropeImageRange: num(rope, 'image_range', 'architecture.rope', { min: 0 }),
  };
  if (arch.heads % arch.kvHeads) throw new ModelConfigError(`architecture.heads=${arch.heads} is not a multiple of kv_heads=${arch.kvHeads}`);
  if (arch.ropeSections.reduce((x, y) => x + y, 0) !== arch.headDim / 2) throw new ModelConfigError(`architecture.rope.sections must sum to head_dim/2 = ${arch.headDim / 2}`);
  const [textStart, textEnd] = range(v, 'text_range', 'vocab');
  const [imageStart, imageEnd] = range(v, 'image_range', 'vocab');
  const size = num(v, 'size', 'vocab', { int: true, min: 1 });
  const special = (name: string) => optNum(sp, name, 'vocab.specials', -1, { int: true, min: 0, max: size - 1 });
  const required = (name: string) => {
    if (sp[name] === undefined) throw new ModelConfigError(`vocab.specials["${name}"] is missing`);
    return special(name);
  };
  const vocab: NextFlowVocab = {
    size,
    bos: required('<bos>'),
    eos: required('<eos>'),
    boi: required('<boi>'),
    eoi: required('<eoi>'),
    null: required('<null>'),
    user: sp['<user>'] === undefined ? undefined : special('<user>'),
    assistant: sp['<assistant>'] === undefined ? undefined : special('<assistant>'),
    textStart,
    textCount: textEnd - textStart,
    imageStart,
    imageCount: imageEnd - imageStart,
  };
  if (imageEnd > vocab.size) throw new ModelConfigError(`vocab.image_range ends at ${imageEnd}, past vocab.size ${vocab.size}`);
  if (textEnd > vocab.size) throw new ModelConfigError(`vocab.text_range ends at ${textEnd}, past vocab.size ${vocab.size}`);
  if (textStart < imageEnd && imageStart < textEnd) throw new ModelConfigError(`vocab.text_range [${textStart}, ${textEnd}) and image_range [${imageStart}, ${imageEnd}) overlap`);
  const ids = Object.entries(sp).map(([k, id]) => [k, id as number] as const);
  for (const [k, id] of ids) {
    if ((id >= textStart && id < textEnd) || (id >= imageStart && id < imageEnd)) throw new ModelConfigError(`vocab.specials["${k}"] = ${id} lies inside the text or image range`);
    const twin = ids.find(([k2, id2]) => k2 !== k && id2 === id);
    if (twin) throw new ModelConfigError(`vocab.specials["${k}"] and ["${twin[0]}"] are both ${id}`);
  }
  const vq: NextFlowVq = {
    scales: ints(im, 'scales', 'image'),
    codeDim: num(im, 'code_dim', 'image', { int: true, min: 1 }),
    codebookSize: num(im, 'codebook_size', 'image', { int: true, min: 1 }),
    imageSize: num(im, 'size', 'image', { int: true, min: 1 }),
    latentCh: num(q, 'latent_ch', 'vq', { int: true, min: 1 }),
    decWidths: ints(q, 'dec_widths', 'vq', 3) as [number, number, number],
    decBlocks: num(q, 'dec_blocks', 'vq', { int: true, min: 0 }),
    encWidths: ints(q, 'enc_widths', 'vq', 3) as [number, number, number],
    encBlocks: num(q, 'enc_blocks', 'vq', { int: true, min: 0 }),
    groups: num(q, 'groupnorm_groups', 'vq', { int: true, min: 1 }),
    groupEps: num(q, 'groupnorm_eps', 'vq', { min: 0 }),
    feedBackFinest: im.feed_back_finest === true,
  };
  if (im.feed_back_finest !== undefined && typeof im.feed_back_finest !== 'boolean') throw new ModelConfigError(`image.feed_back_finest must be true or false, not ${JSON.stringify(im.feed_back_finest)}`);
  if (vq.codebookSize !== vocab.imageCount) throw new ModelConfigError(`image.codebook_size=${vq.codebookSize} differs from the vocab's image range (${vocab.imageCount} codes)`);
  const latent = num(im, 'latent', 'image', { int: true, min: 1 });
  if (vq.scales.length < 1 || vq.scales[vq.scales.length - 1] !== latent) throw new ModelConfigError(`image.scales ${JSON.stringify(vq.scales)} must end at the latent grid ${latent}`);
  // Positions and the KV cache are sized by it: bounded like every size the format allows.
  const contextLength = optNum(c, 'max_context', 'config', 512, { int: true, min: 2, max: MAX_CONTEXT });
  const weights = files.weights;
  if (!Array.isArray(weights) || !weights.every((w) => typeof w === 'string')) throw new ModelConfigError('files.weights must list the safetensors files');
  return {
    name: typeof c.name === 'string' ? c.name : 'model',
    description: optionalText(c.description, 'description'),
    family: 'nextflow',
    arch,
    vocab,
    vq,
    // The context has room for far more; longer prompts are outside what the model was trained on.
    maxTextTokens: optNum(c, 'max_text_tokens', 'config', 32, { int: true, min: 1, max: contextLength }),
    contextLength,
    sampling: samplingDefaults(s),
    files: { weights: weights as string[], tokenizer: typeof files.tokenizer === 'string' ? files.tokenizer : undefined },
  };
}

/** Tokens of every scale, and where each scale starts in a flat [Σ h·w] code buffer. */
export function scaleLayout(scales: readonly number[]): { tokens: number[]; offsets: number[]; total: number } {
  const tokens = scales.map((p) => p * p);
  const offsets: number[] = [];
  let total = 0;
  for (const t of tokens) {
    offsets.push(total);
    total += t;
  }
  return { tokens, offsets, total };
}

/** An optional string field: absent, or a string (anything else is a ModelConfigError). */
function optionalText(v: unknown, key: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ModelConfigError(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
