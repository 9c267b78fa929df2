/**
 * The official Infinity checkpoints' layout (FoundationVision/Infinity: infinity_125M_256x256.pth,
 * infinity_2b_reg.pth; infinity_vae_d32*.pth), with every size read from the tensors' shapes:
 *   transformer: blocks under block_chunks.{c}.module.{j} (or blocks.{i}), shared AdaLN (ada_gss per block,
 *     shared_ada_lin), a text path (text_norm, text_proj_for_sos pool, text_proj_for_ca MLP, cfg_uncond);
 *   VAE: the decoder's convs as x.conv.weight, x.weight or both, its GroupNorms as x.norm.weight or
 *     x.weight; the state dict under "vae" or not (formats/pth.ts unwraps it); encoder keys ignored.
 * Each expected tensor gets its canonical name (blocks.{i}., the wrapped .conv./.norm. forms).
 */
import { CheckpointLayoutError } from '../../api/errors';
import type { PthTensor } from '../../formats/pth';

export type Shapes = Map<string, number[]>;

export interface InfinityLayout {
  depth: number;
  dim: number;
  heads: number;
  ffn: number;
  bits: number;
  textDim: number;
  textMaxLen: number;
  poolHeads: number;
  levels: number;
  /** Canonical name → the checkpoint's tensor. */
  tensors: Map<string, PthTensor>;
}

export interface InfinityVaeLayout {
  ch: number;
  chMult: number[];
  numResBlocks: number;
  bits: number;
  /** Canonical name (decoder.…) → the checkpoint's tensor. */
  tensors: Map<string, PthTensor>;
}

/** Buffers the runtime recomputes or never reads. */
const MODEL_OPTIONAL = /(^|\.)zero_k_bias$|^(lvl_1L|attn_bias_for_masking|Infinity_visible_kvlen|Infinity_invisible_qlen)$/;

function names(keys: Iterable<string>, limit = 8): string {
  const k = [...keys].sort();
  return k.slice(0, limit).join(', ') + (k.length > limit ? `, … (${k.length - limit} more)` : '');
}

function shapeOf(sd: Map<string, PthTensor>, key: string, what: string): number[] {
  const t = sd.get(key);
  if (!t) throw new CheckpointLayoutError('missing-keys', `${what}: "${key}" is missing (needed to read the model's size)`);
  return t.shape;
}

/** The shapes the official code gives a model of these sizes, by canonical name. */
export function infinityShapes(l: Omit<InfinityLayout, 'tensors'>): Shapes {
  const { dim: C, bits: d, ffn, textDim: T, heads: H, poolHeads: P } = l;
  const s: Shapes = new Map<string, number[]>([
    ['cfg_uncond', [l.textMaxLen, T]], ['text_norm.weight', [T]],
    ['text_proj_for_sos.ca.mat_q', [1, P, C / P]], ['text_proj_for_sos.ca.mat_kv.weight', [2 * C, T]], ['text_proj_for_sos.ca.v_bias', [C]],
    ['text_proj_for_sos.ca.proj.weight', [C, C]], ['text_proj_for_sos.ca.proj.bias', [C]],
    ['text_proj_for_ca.0.weight', [C, T]], ['text_proj_for_ca.0.bias', [C]], ['text_proj_for_ca.2.weight', [C, C]], ['text_proj_for_ca.2.bias', [C]],
    ['pos_start', [1, 1, C]], ['lvl_embed.weight', [l.levels, C]], ['word_embed.weight', [C, d]], ['word_embed.bias', [C]],
    ['shared_ada_lin.1.weight', [6 * C, C]], ['shared_ada_lin.1.bias', [6 * C]],
  ]);
  for (let i = 0; i < l.depth; i++) {
    const p = `blocks.${i}.`;
    for (const [k, v] of [
      ['sa.scale_mul_1H11', [1, H, 1, 1]], ['sa.mat_qkv.weight', [3 * C, C]], ['sa.q_bias', [C]], ['sa.v_bias', [C]], ['sa.proj.weight', [C, C]], ['sa.proj.bias', [C]],
      ['ca.mat_q.weight', [C, C]], ['ca.mat_q.bias', [C]], ['ca.mat_kv.weight', [2 * C, C]], ['ca.v_bias', [C]], ['ca.proj.weight', [C, C]], ['ca.proj.bias', [C]],
      ['ffn.fc1.weight', [ffn, C]], ['ffn.fc1.bias', [ffn]], ['ffn.fc2.weight', [C, ffn]], ['ffn.fc2.bias', [C]],
      ['ca_norm.weight', [C]], ['ca_norm.bias', [C]], ['ada_gss', [1, 1, 6, C]],
    ] as Array<[string, number[]]>) s.set(p + k, v);
  }
  s.set('head_nm.ada_lin.1.weight', [2 * C, C]).set('head_nm.ada_lin.1.bias', [2 * C]).set('head.weight', [2 * d, C]).set('head.bias', [2 * d]);
  return s;
}

/** Refuses the variants the official code has but the released text-to-image models do not use. */
function refuseVariants(keys: string[]): void {
  const has = (re: RegExp) => keys.some((k) => re.test(k));
  const refuse = (what: string) => {
    throw new CheckpointLayoutError('unsupported', `infinity: ${what} is not supported (the released text-to-image checkpoints do not use it)`);
  };
  if (has(/^class_emb\./)) refuse('a class-conditional checkpoint (class_emb)');
  if (has(/\.ffn\.fcg\./)) refuse('a SwiGLU FFN (ffn.fcg)');
  if (has(/\.ada_lin\./) && !has(/\.ada_gss$/)) refuse('per-block AdaLN (ada_lin instead of the shared ada_gss)');
  if (has(/^head\.\d+\./)) refuse('a deep head (head.0 …)');
  if (has(/^norm0_ve\./)) refuse('an input norm before word_embed (norm0_ve)');
  if (has(/\.ca_gamma$/)) refuse('a cross-attention layer scale (ca_gamma)');
}

/** Canonical name of a transformer key (block_chunks.{c}.module.{j}. → blocks.{c·per + j}.). */
function canonicalBlocks(keys: string[]): (k: string) => string {
  const chunked = keys.flatMap((k) => {
    const m = /^block_chunks\.(\d+)\.module\.(\d+)\./.exec(k);
    return m ? [[Number(m[1]), Number(m[2])]] : [];
  });
  if (!chunked.length) return (k) => k;
  const per = Math.max(...chunked.map(([, j]) => j)) + 1;
  return (k) => k.replace(/^block_chunks\.(\d+)\.module\.(\d+)\./, (_, c: string, j: string) => `blocks.${Number(c) * per + Number(j)}.`);
}

export function inspectInfinity(sd: Map<string, PthTensor>): InfinityLayout {
  const keys = [...sd.keys()];
  refuseVariants(keys);
  const canon = canonicalBlocks(keys);
  const tensors = new Map<string, PthTensor>();
  for (const [k, t] of sd) {
    const c = canon(k);
    if (tensors.has(c)) throw new CheckpointLayoutError('unexpected-keys', `infinity: two tensors map to "${c}"`);
    tensors.set(c, t);
  }
  const what = 'infinity';
  const [C, d] = shapeOf(tensors, 'word_embed.weight', what);
  const headOut = shapeOf(tensors, 'head.weight', what)[0];
  if (headOut !== 2 * d) throw new CheckpointLayoutError('shape', `infinity: head.weight has ${headOut} outputs, expected 2·${d} (two logits per bit; word_embed takes ${d} bits)`);
  const [textMaxLen, textDim] = shapeOf(tensors, 'cfg_uncond', what);
  const poolHeads = shapeOf(tensors, 'text_proj_for_sos.ca.mat_q', what)[1];
  const levels = shapeOf(tensors, 'lvl_embed.weight', what)[0];
  const blockIds = [...tensors.keys()].flatMap((k) => /^blocks\.(\d+)\./.exec(k)?.[1] ?? []).map(Number);
  const depth = blockIds.length ? Math.max(...blockIds) + 1 : 0;
  if (!depth) throw new CheckpointLayoutError('missing-keys', 'infinity: no transformer blocks (block_chunks.{c}.module.{j}.* or blocks.{i}.*)');
  const heads = shapeOf(tensors, 'blocks.0.sa.scale_mul_1H11', what).reduce((a, b) => a * b, 1);
  const ffn = shapeOf(tensors, 'blocks.0.ffn.fc1.weight', what)[0];
  if (C % heads) throw new CheckpointLayoutError('shape', `infinity: width ${C} is not divisible by ${heads} heads`);
  if (!poolHeads || C % poolHeads) throw new CheckpointLayoutError('shape', `infinity: width ${C} is not divisible by the pool's ${poolHeads} heads`);
  const layout = { depth, dim: C, heads, ffn, bits: d, textDim, textMaxLen, poolHeads, levels };
  const expected = infinityShapes(layout);
  const missing = [...expected.keys()].filter((k) => !tensors.has(k));
  const extra = [...tensors.keys()].filter((k) => !expected.has(k) && !MODEL_OPTIONAL.test(k));
  if (missing.length) throw new CheckpointLayoutError('missing-keys', `infinity (depth ${depth}, width ${C}): ${missing.length} of ${expected.size} expected keys missing: ${names(missing)}`);
  if (extra.length) throw new CheckpointLayoutError('unexpected-keys', `infinity (depth ${depth}, width ${C}): ${extra.length} unexpected keys: ${names(extra)}`);
  for (const [k, shape] of expected) {
    let have = tensors.get(k)!.shape;
    if (k.endsWith('scale_mul_1H11')) have = [1, have.reduce((a, b) => a * b, 1), 1, 1]; // 1H11 or 11H1 (flash layout)
    if (have.join() !== shape.join()) throw new CheckpointLayoutError('shape', `infinity: ${k} expected shape [${shape}], found [${tensors.get(k)!.shape}]`);
  }
  for (const k of [...tensors.keys()]) if (!expected.has(k)) tensors.delete(k);
  return { ...layout, tensors };
}

/** The Conv and GroupNorm modules of a BSQ VAE decoder: canonical parameter names without the wrapper part. */
function decoderModules(chMult: number[], numResBlocks: number, hasShortcut: (p: string) => boolean): { convs: string[]; norms: string[] } {
  const convs = ['decoder.conv_in', 'decoder.conv_out'];
  const norms = ['decoder.norm_out'];
  const res = (p: string) => {
    convs.push(`${p}.conv1`, `${p}.conv2`);
    norms.push(`${p}.norm1`, `${p}.norm2`);
    if (hasShortcut(p)) convs.push(`${p}.nin_shortcut`);
  };
  res('decoder.mid.block_1');
  res('decoder.mid.block_2');
  for (let i = 0; i < chMult.length; i++) {
    for (let j = 0; j <= numResBlocks; j++) res(`decoder.up.${i}.block.${j}`);
    if (i >= 1) convs.push(`decoder.up.${i}.upsample.conv`);
  }
  return { convs, norms };
}

export function inspectInfinityVae(sd: Map<string, PthTensor>): InfinityVaeLayout {
  const what = 'vae';
  /** The tensor of module `m`'s parameter `p`, in wrapped (`m.w.p`) or plain (`m.p`) form; both must agree. */
  const pick = (m: string, wrap: 'conv' | 'norm', p: 'weight' | 'bias'): PthTensor | undefined => {
    const a = sd.get(`${m}.${wrap}.${p}`);
    const b = sd.get(`${m}.${p}`);
    if (a && b && a.shape.join() !== b.shape.join()) throw new CheckpointLayoutError('shape', `vae: ${m}.${wrap}.${p} [${a.shape}] and ${m}.${p} [${b.shape}] disagree`);
    return a ?? b;
  };
  const convOut = pick('decoder.conv_out', 'conv', 'weight');
  const convIn = pick('decoder.conv_in', 'conv', 'weight');
  if (!convOut || !convIn) throw new CheckpointLayoutError('missing-keys', `${what}: decoder.conv_in / decoder.conv_out weights are missing (is this a BSQ VAE file, e.g. infinity_vae_d32reg.pth?)`);
  const ch = convOut.shape[1];
  const bits = convIn.shape[1];
  const levelIds = new Set<number>();
  let maxBlock = -1;
  for (const k of sd.keys()) {
    const m = /^decoder\.up\.(\d+)\.block\.(\d+)\./.exec(k);
    if (m) {
      levelIds.add(Number(m[1]));
      maxBlock = Math.max(maxBlock, Number(m[2]));
    }
  }
  const nLevels = levelIds.size;
  if (!nLevels || maxBlock < 1) throw new CheckpointLayoutError('missing-keys', `${what}: no decoder.up.{i}.block.{j} keys`);
  const chMult: number[] = [];
  for (let i = 0; i < nLevels; i++) {
    const w = pick(`decoder.up.${i}.block.0.conv1`, 'conv', 'weight');
    if (!w) throw new CheckpointLayoutError('missing-keys', `${what}: decoder.up.${i}.block.0.conv1 is missing`);
    if (w.shape[0] % ch) throw new CheckpointLayoutError('shape', `${what}: decoder level ${i} is ${w.shape[0]} wide, not a multiple of the base width ${ch}`);
    chMult.push(w.shape[0] / ch);
  }
  const numResBlocks = maxBlock; // num_res_blocks + 1 blocks per level
  const { convs, norms } = decoderModules(chMult, numResBlocks, (p) => !!pick(`${p}.nin_shortcut`, 'conv', 'weight'));
  const tensors = new Map<string, PthTensor>();
  const expectConv = new Map<string, number[]>();
  // Channel flow of the decoder: conv_in → ch·mult[last]; each level's first block changes width.
  let cin = ch * chMult[nLevels - 1];
  expectConv.set('decoder.conv_in', [cin, bits, 3, 3]);
  for (const b of ['decoder.mid.block_1', 'decoder.mid.block_2']) expectConv.set(`${b}.conv1`, [cin, cin, 3, 3]).set(`${b}.conv2`, [cin, cin, 3, 3]);
  const normWidth = new Map<string, number>([['decoder.mid.block_1.norm1', cin], ['decoder.mid.block_1.norm2', cin], ['decoder.mid.block_2.norm1', cin], ['decoder.mid.block_2.norm2', cin]]);
  for (let i = nLevels - 1; i >= 0; i--) {
    const cout = ch * chMult[i];
    for (let j = 0; j <= numResBlocks; j++) {
      const p = `decoder.up.${i}.block.${j}`;
      expectConv.set(`${p}.conv1`, [cout, cin, 3, 3]).set(`${p}.conv2`, [cout, cout, 3, 3]);
      normWidth.set(`${p}.norm1`, cin).set(`${p}.norm2`, cout);
      if (cin !== cout) expectConv.set(`${p}.nin_shortcut`, [cout, cin, 1, 1]);
      cin = cout;
    }
    if (i >= 1) expectConv.set(`decoder.up.${i}.upsample.conv`, [cin, cin, 3, 3]);
  }
  expectConv.set('decoder.conv_out', [3, cin, 3, 3]);
  normWidth.set('decoder.norm_out', cin);
  for (const m of convs) {
    const shape = expectConv.get(m);
    if (!shape) throw new CheckpointLayoutError('unexpected-keys', `${what}: ${m} (a shortcut conv where the widths do not change)`);
    const w = pick(m, 'conv', 'weight');
    const b = pick(m, 'conv', 'bias');
    if (!w || !b) throw new CheckpointLayoutError('missing-keys', `${what}: ${m}.conv.weight / .bias (or ${m}.weight / .bias) missing`);
    if (w.shape.join() !== shape.join()) throw new CheckpointLayoutError('shape', `${what}: ${m} weight expected shape [${shape}], found [${w.shape}]`);
    if (b.shape.join() !== String(shape[0])) throw new CheckpointLayoutError('shape', `${what}: ${m} bias expected shape [${shape[0]}], found [${b.shape}]`);
    tensors.set(`${m}.conv.weight`, w).set(`${m}.conv.bias`, b);
  }
  for (const m of expectConv.keys()) if (!convs.includes(m)) throw new CheckpointLayoutError('missing-keys', `${what}: ${m} is missing`);
  for (const m of norms) {
    const width = normWidth.get(m)!;
    for (const p of ['weight', 'bias'] as const) {
      const t = pick(m, 'norm', p);
      if (!t) throw new CheckpointLayoutError('missing-keys', `${what}: ${m}.norm.${p} (or ${m}.${p}) missing`);
      if (t.shape.join() !== String(width)) throw new CheckpointLayoutError('shape', `${what}: ${m} ${p} expected shape [${width}], found [${t.shape}]`);
      tensors.set(`${m}.norm.${p}`, t);
    }
    if (width % 32) throw new CheckpointLayoutError('shape', `${what}: ${m} is ${width} wide, not a multiple of GroupNorm's 32 groups`);
  }
  const mask = sd.get('quantizer.lfq.mask') ?? sd.get('quantize.lfq.mask');
  if (mask && mask.shape.join() !== String(bits)) throw new CheckpointLayoutError('shape', `${what}: quantizer.lfq.mask has shape [${mask.shape}] but the decoder takes ${bits} bits`);
  const attn = [...sd.keys()].find((k) => /^decoder\.(mid\.attn_1|up\.\d+\.attn\.\d+)\./.test(k));
  if (attn) throw new CheckpointLayoutError('unsupported', `${what}: a decoder with attention (${attn}) is not supported (the released BSQ VAEs have none)`);
  return { ch, chMult, numResBlocks, bits, tensors };
}
