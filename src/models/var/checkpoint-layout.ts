/**
 * The state-dict layout of the official VAR checkpoints (var_dN.pth, vae_ch160v4096z32.pth): every key,
 * in the official order, with its shape, for a given size. The same rules as tools/reference (keys.py builds
 * them from the PyTorch modules); a test checks both against the published key lists of d16 and the VAE.
 */

/** key → shape, in state-dict order. */
export type Shapes = Map<string, number[]>;

/** VAR's VQVAE: channel multipliers per level, res blocks per level, shared Phi convs, training scales. */
export const VAE_CH_MULT = [1, 1, 2, 2, 4] as const;
export const VAE_NUM_RES_BLOCKS = 2;
export const VAE_PHI_COUNT = 4;
const VAE_TRAIN_SCALES = 10; // rows of quantize.ema_vocab_hit_SV (a training statistic)
/** Official size rule: heads = depth, width = 64·depth, FFN = 4·width. */
export const VAR_HEAD_DIM = 64;
export const varSize = (depth: number) => ({ dim: VAR_HEAD_DIM * depth, heads: depth, headDim: VAR_HEAD_DIM, ffn: 4 * VAR_HEAD_DIM * depth });

function conv(out: Shapes, name: string, cin: number, cout: number, k: number): void {
  out.set(`${name}.weight`, [cout, cin, k, k]);
  out.set(`${name}.bias`, [cout]);
}
const vec = (out: Shapes, name: string, n: number) => (out.set(`${name}.weight`, [n]), out.set(`${name}.bias`, [n]));

function resBlock(out: Shapes, name: string, cin: number, cout: number): void {
  vec(out, `${name}.norm1`, cin);
  conv(out, `${name}.conv1`, cin, cout, 3);
  vec(out, `${name}.norm2`, cout);
  conv(out, `${name}.conv2`, cout, cout, 3);
  if (cin !== cout) conv(out, `${name}.nin_shortcut`, cin, cout, 1);
}

function attnBlock(out: Shapes, name: string, ch: number): void {
  vec(out, `${name}.norm`, ch);
  conv(out, `${name}.qkv`, ch, 3 * ch, 1);
  conv(out, `${name}.proj_out`, ch, ch, 1);
}

function mid(out: Shapes, name: string, ch: number): void {
  resBlock(out, `${name}.block_1`, ch, ch);
  attnBlock(out, `${name}.attn_1`, ch);
  resBlock(out, `${name}.block_2`, ch, ch);
}

/** One resolution level: its res blocks, then (lowest level) one attention per block, then the resample conv. */
function level(out: Shapes, name: string, cin: number, cout: number, blocks: number, withAttn: boolean, resample: 'downsample' | 'upsample' | null): void {
  for (let i = 0; i < blocks; i++) resBlock(out, `${name}.block.${i}`, i === 0 ? cin : cout, cout);
  if (withAttn) for (let i = 0; i < blocks; i++) attnBlock(out, `${name}.attn.${i}`, cout);
  if (resample) conv(out, `${name}.${resample}.conv`, cout, cout, 3);
}

export function vaeShapes(ch: number, vocab: number, z: number): Shapes {
  const out: Shapes = new Map();
  const n = VAE_CH_MULT.length;
  const top = ch * VAE_CH_MULT[n - 1];
  conv(out, 'encoder.conv_in', 3, ch, 3);
  const ins = [1, ...VAE_CH_MULT];
  for (let i = 0; i < n; i++) level(out, `encoder.down.${i}`, ch * ins[i], ch * VAE_CH_MULT[i], VAE_NUM_RES_BLOCKS, i === n - 1, i < n - 1 ? 'downsample' : null);
  mid(out, 'encoder.mid', top);
  vec(out, 'encoder.norm_out', top);
  conv(out, 'encoder.conv_out', top, z, 3);
  conv(out, 'decoder.conv_in', z, top, 3);
  mid(out, 'decoder.mid', top);
  for (let i = 0; i < n; i++) {
    const cin = ch * VAE_CH_MULT[Math.min(i + 1, n - 1)];
    level(out, `decoder.up.${i}`, cin, ch * VAE_CH_MULT[i], VAE_NUM_RES_BLOCKS + 1, i === n - 1, i > 0 ? 'upsample' : null);
  }
  vec(out, 'decoder.norm_out', ch);
  conv(out, 'decoder.conv_out', ch, 3, 3);
  out.set('quantize.ema_vocab_hit_SV', [VAE_TRAIN_SCALES, vocab]);
  for (let i = 0; i < VAE_PHI_COUNT; i++) conv(out, `quantize.quant_resi.qresi_ls.${i}`, z, z, 3);
  out.set('quantize.embedding.weight', [vocab, z]);
  conv(out, 'quant_conv', z, z, 3);
  conv(out, 'post_quant_conv', z, z, 3);
  return out;
}

export function varShapes(depth: number, patchNums: readonly number[], numClasses: number, vocab: number, z: number): Shapes {
  const { dim: c, heads, ffn } = varSize(depth);
  const L = patchNums.reduce((a, p) => a + p * p, 0);
  const out: Shapes = new Map();
  out.set('pos_start', [1, 1, c]);
  out.set('pos_1LC', [1, L, c]);
  out.set('lvl_1L', [1, L]);
  out.set('attn_bias_for_masking', [1, 1, L, L]);
  out.set('word_embed.weight', [c, z]);
  out.set('word_embed.bias', [c]);
  out.set('class_emb.weight', [numClasses + 1, c]);
  out.set('lvl_embed.weight', [patchNums.length, c]);
  for (let b = 0; b < depth; b++) {
    const p = `blocks.${b}`;
    out.set(`${p}.attn.scale_mul_1H11`, [1, heads, 1, 1]);
    for (const k of ['q_bias', 'v_bias', 'zero_k_bias']) out.set(`${p}.attn.${k}`, [c]);
    out.set(`${p}.attn.mat_qkv.weight`, [3 * c, c]);
    out.set(`${p}.attn.proj.weight`, [c, c]);
    out.set(`${p}.attn.proj.bias`, [c]);
    out.set(`${p}.ffn.fc1.weight`, [ffn, c]);
    out.set(`${p}.ffn.fc1.bias`, [ffn]);
    out.set(`${p}.ffn.fc2.weight`, [c, ffn]);
    out.set(`${p}.ffn.fc2.bias`, [c]);
    out.set(`${p}.ada_lin.1.weight`, [6 * c, c]);
    out.set(`${p}.ada_lin.1.bias`, [6 * c]);
  }
  out.set('head_nm.ada_lin.1.weight', [2 * c, c]);
  out.set('head_nm.ada_lin.1.bias', [2 * c]);
  out.set('head.weight', [vocab, c]);
  out.set('head.bias', [vocab]);
  return out;
}
