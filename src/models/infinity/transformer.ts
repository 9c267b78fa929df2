/**
 * Infinity's transformer on the GPU (tools/reference/infinity.py), recorded (never submitted) for the CFG rows
 * (row 0 the prompt; with CFG, row 1 the learned negative).
 *   text, once per image: RMSNorm of the features → attention pool (learned queries) → cond; every block's
 *     AdaLN vectors shared_ada_lin(SiLU(cond)) + ada_gss (the sum folded into one bias per block at load),
 *     the head's; the text memory MLP and each block's cross-attention keys/values in a cache of their own.
 *   per scale, per block with (γ1, γ2, s1, s2, b1, b2):
 *     x += γ1 · proj(attn(LN(x)·(1+s1) + b1)): q, k rotated by the 2D RoPE table before the kernels
 *       l2-normalise them (a rotation keeps the norm, so the order does not matter), q · exp(min(scale_mul, ln 100));
 *     x += proj(cross-attn(LN(x)·w + b, text memory)) (the affine LN as a modulation by (w − 1, b));
 *     x += γ2 · fc2(GELU_tanh(fc1(LN(x)·(1+s2) + b2)));
 *   logits = head(LN(x)·(1+scale) + shift) [B, T, 2d].
 */
import type { GpuContext } from '../../gpu/device';
import type { Recorder } from '../../gpu/recorder';
import { uploadBuffer } from '../../gpu/buffers';
import { recordLinear, type LinearWeights } from '../../kernels/matmul';
import { recordLayerNorm } from '../../kernels/layernorm';
import { recordRmsNorm } from '../../kernels/rmsnorm';
import { recordKvAppend, type KvCacheRef } from '../../kernels/kv_append';
import { recordAttention } from '../../kernels/attention';
import { recordRopePairs } from '../../kernels/rope_pairs';
import { recordGatedAcc, recordUnary } from '../../kernels/elementwise';
import { linearWeights, weightRef, type GpuWeight, type WeightSet } from '../weights';
import type { InfinityArch } from './config';

export interface InfinityBlock {
  scaleMul: GpuWeight;
  qkv: LinearWeights;
  proj: LinearWeights;
  caQ: LinearWeights;
  caKv: LinearWeights;
  caProj: LinearWeights;
  fc1: LinearWeights;
  fc2: LinearWeights;
}

export interface InfinityWeights {
  blocks: InfinityBlock[];
  /** shared_ada_lin's weight; each block's bias (shared bias + ada_gss) is in `tables`. */
  sharedAda: LinearWeights;
  headAda: LinearWeights;
  head: LinearWeights;
  textNorm: GpuWeight;
  mem0: LinearWeights;
  mem2: LinearWeights;
  poolKv: LinearWeights;
  /** The pool's output projection, its bias holding proj.bias + pos_start + lvl_embed[0] (the start token). */
  poolProjStart: LinearWeights;
  poolProj: LinearWeights;
  wordEmbed: GpuWeight;
  /** f32 tables made at load: see InfinityTables. */
  tables: GPUBuffer;
  at: InfinityTables;
}

/** Element offsets of the tables made at load (one buffer). */
export interface InfinityTables {
  /** [depth, 6C]: shared_ada_lin.bias + ada_gss of each block. */
  adaBias: number;
  /** [depth, 2C]: (ca_norm.weight − 1, ca_norm.bias) of each block. */
  caNorm: number;
  /** [depth, 2C]: (0, ca.v_bias) of each block: the cross-attention K/V bias. */
  caKvBias: number;
  /** [2C]: (0, pool v_bias). */
  poolKvBias: number;
  /** [C]: pool proj.bias + pos_start + lvl_embed[0]. */
  startBias: number;
  /** [levels, C]: word_embed.bias + lvl_embed[s]: the bias of scale s's input. */
  wordBias: number;
  /** [2, P, C/P]: the pool's learned queries, once per CFG row. */
  poolQ: number;
  total: number;
}

const ref = weightRef;
const lin = linearWeights;

/** The CPU values the tables are made of (read as f32 at load). */
export interface InfinityCpuTensors {
  get(name: string): Float32Array;
}

export function bindInfinity(ctx: GpuContext, ws: WeightSet, a: InfinityArch, cpu: InfinityCpuTensors): InfinityWeights {
  const { dim: C, ffn, bits: d, textDim: Ct, poolHeads: P } = a;
  const t = (n: string, shape: number[]) => ws.expectShape('infinity.' + n, shape);
  const blocks: InfinityBlock[] = [];
  for (let i = 0; i < a.depth; i++) {
    const p = `blocks.${i}.`;
    t(p + 'sa.q_bias', [C]);
    t(p + 'sa.v_bias', [C]);
    blocks.push({
      scaleMul: t(p + 'sa.scale_mul_1H11', [1, a.heads, 1, 1]),
      qkv: lin(t(p + 'sa.mat_qkv.weight', [3 * C, C]), t(p + 'sa.qkv_bias', [3 * C])),
      proj: lin(t(p + 'sa.proj.weight', [C, C]), t(p + 'sa.proj.bias', [C])),
      caQ: lin(t(p + 'ca.mat_q.weight', [C, C]), t(p + 'ca.mat_q.bias', [C])),
      caKv: lin(t(p + 'ca.mat_kv.weight', [2 * C, C])),
      caProj: lin(t(p + 'ca.proj.weight', [C, C]), t(p + 'ca.proj.bias', [C])),
      fc1: lin(t(p + 'ffn.fc1.weight', [ffn, C]), t(p + 'ffn.fc1.bias', [ffn])),
      fc2: lin(t(p + 'ffn.fc2.weight', [C, ffn]), t(p + 'ffn.fc2.bias', [C])),
    });
    // Folded into the tables below.
    t(p + 'ca.v_bias', [C]);
    t(p + 'ca_norm.weight', [C]);
    t(p + 'ca_norm.bias', [C]);
    t(p + 'ada_gss', [1, 1, 6, C]);
  }
  t('shared_ada_lin.1.bias', [6 * C]);
  t('text_proj_for_sos.ca.v_bias', [C]);
  t('text_proj_for_sos.ca.proj.bias', [C]);
  t('text_proj_for_sos.ca.mat_q', [1, P, C / P]);
  t('word_embed.bias', [C]);
  ws.markUsed('infinity.cfg_uncond', 'infinity.pos_start', 'infinity.lvl_embed.weight'); // read on the CPU
  // The tables: one f32 buffer.
  const at: InfinityTables = { adaBias: 0, caNorm: 0, caKvBias: 0, poolKvBias: 0, startBias: 0, wordBias: 0, poolQ: 0, total: 0 };
  let n = 0;
  const take = (k: keyof InfinityTables, elems: number) => {
    at[k] = n;
    n += Math.ceil(elems / 4) * 4; // vec4-aligned starts
  };
  take('adaBias', a.depth * 6 * C);
  take('caNorm', a.depth * 2 * C);
  take('caKvBias', a.depth * 2 * C);
  take('poolKvBias', 2 * C);
  take('startBias', C);
  take('wordBias', a.levels * C);
  take('poolQ', 2 * C);
  at.total = n;
  const tab = new Float32Array(n);
  const sharedBias = cpu.get('infinity.shared_ada_lin.1.bias');
  const lvl = cpu.get('infinity.lvl_embed.weight');
  for (let i = 0; i < a.depth; i++) {
    const p = `infinity.blocks.${i}.`;
    const gss = cpu.get(p + 'ada_gss');
    for (let k = 0; k < 6 * C; k++) tab[at.adaBias + i * 6 * C + k] = sharedBias[k] + gss[k];
    const w = cpu.get(p + 'ca_norm.weight');
    tab.set(w.map((x) => x - 1), at.caNorm + i * 2 * C);
    tab.set(cpu.get(p + 'ca_norm.bias'), at.caNorm + i * 2 * C + C);
    tab.set(cpu.get(p + 'ca.v_bias'), at.caKvBias + i * 2 * C + C);
  }
  tab.set(cpu.get('infinity.text_proj_for_sos.ca.v_bias'), at.poolKvBias + C);
  const projBias = cpu.get('infinity.text_proj_for_sos.ca.proj.bias');
  const posStart = cpu.get('infinity.pos_start');
  for (let c = 0; c < C; c++) tab[at.startBias + c] = projBias[c] + posStart[c] + lvl[c];
  const wb = cpu.get('infinity.word_embed.bias');
  for (let s = 0; s < a.levels; s++) for (let c = 0; c < C; c++) tab[at.wordBias + s * C + c] = wb[c] + lvl[s * C + c];
  const q = cpu.get('infinity.text_proj_for_sos.ca.mat_q');
  tab.set(q, at.poolQ);
  tab.set(q, at.poolQ + C);
  const tables = uploadBuffer(ctx, tab, 'infinity-tables');
  const tb = (off: number) => ({ buffer: tables, offset: off });
  const poolProj = t('text_proj_for_sos.ca.proj.weight', [C, C]);
  const poolKv = t('text_proj_for_sos.ca.mat_kv.weight', [2 * C, Ct]);
  blocks.forEach((b, i) => (b.caKv.bias = tb(at.caKvBias + i * 2 * C)));
  return {
    blocks,
    sharedAda: lin(t('shared_ada_lin.1.weight', [6 * C, C])),
    headAda: lin(t('head_nm.ada_lin.1.weight', [2 * C, C]), t('head_nm.ada_lin.1.bias', [2 * C])),
    head: lin(t('head.weight', [2 * d, C]), t('head.bias', [2 * d])),
    textNorm: t('text_norm.weight', [Ct]),
    mem0: lin(t('text_proj_for_ca.0.weight', [C, Ct]), t('text_proj_for_ca.0.bias', [C])),
    mem2: lin(t('text_proj_for_ca.2.weight', [C, C]), t('text_proj_for_ca.2.bias', [C])),
    poolKv: { ...lin(poolKv), bias: tb(at.poolKvBias) },
    poolProjStart: { ...lin(poolProj), bias: tb(at.startBias) },
    poolProj: lin(poolProj, t('text_proj_for_sos.ca.proj.bias', [C])),
    wordEmbed: t('word_embed.weight', [C, d]),
    tables,
    at,
  };
}

/** Activations of one image: B rows of up to maxT tokens, the self-attention caches for `tokens`, the text caches for Lt. */
export class InfinityWorkspace {
  readonly x: GPUBuffer;
  readonly n: GPUBuffer;
  readonly qkv: GPUBuffer;
  readonly attn: GPUBuffer;
  readonly tmp: GPUBuffer;
  readonly hidden: GPUBuffer;
  readonly act: GPUBuffer;
  readonly logits: GPUBuffer;
  /** The text rows [B, Lt, Ct] (written from the CPU), their RMSNorm, the memory and its MLP hidden. */
  readonly feats: GPUBuffer;
  readonly featsN: GPUBuffer;
  readonly mem: GPUBuffer;
  readonly memH: GPUBuffer;
  readonly memKv: GPUBuffer;
  readonly pooled: GPUBuffer;
  readonly cond: GPUBuffer;
  readonly condSilu: GPUBuffer;
  /** f32 [depth, B, 6C] then [B, 2C]: every block's AdaLN vectors and the head's. */
  readonly ada: GPUBuffer;
  readonly caches: KvCacheRef[];
  readonly textCaches: KvCacheRef[];
  readonly poolCache: KvCacheRef;
  private owned: GPUBuffer[] = [];

  constructor(
    private ctx: GpuContext,
    readonly a: InfinityArch,
    readonly B: number,
    readonly Lt: number,
    maxT: number,
    tokens: number,
  ) {
    const f = (elems: number, label: string) => {
      const b = ctx.pool.acquire(Math.max(4, elems) * 4, label);
      this.owned.push(b);
      return b;
    };
    const R = B * maxT;
    const { dim: C, textDim: Ct } = a;
    this.x = f(R * C, 'inf-x');
    this.n = f(R * C, 'inf-n');
    this.qkv = f(R * 3 * C, 'inf-qkv');
    this.attn = f(R * C, 'inf-attn');
    this.tmp = f(R * C, 'inf-tmp');
    this.hidden = f(R * a.ffn, 'inf-ffn');
    this.act = f(R * a.ffn, 'inf-ffn-act');
    this.logits = f(R * 2 * a.bits, 'inf-logits');
    this.feats = f(B * Lt * Ct, 'inf-feats');
    this.featsN = f(B * Lt * Ct, 'inf-feats-norm');
    this.mem = f(B * Lt * C, 'inf-mem');
    this.memH = f(B * Lt * C, 'inf-mem-hidden');
    this.memKv = f(B * Lt * 2 * C, 'inf-mem-kv');
    this.pooled = f(B * C, 'inf-pooled');
    this.cond = f(B * C, 'inf-cond');
    this.condSilu = f(B * C, 'inf-cond-silu');
    this.ada = f(a.depth * B * 6 * C + B * 2 * C, 'inf-ada');
    const cache = (Hkv: number, D: number, maxLen: number, label: string): KvCacheRef => ({
      k: { buffer: f(B * Hkv * maxLen * D, `${label}-k`) }, v: { buffer: f(B * Hkv * maxLen * D, `${label}-v`) }, B, Hkv, maxLen, D,
    });
    this.caches = Array.from({ length: a.depth }, () => cache(a.heads, a.headDim, tokens, 'inf-cache'));
    this.textCaches = Array.from({ length: a.depth }, () => cache(a.heads, a.headDim, Lt, 'inf-text-cache'));
    this.poolCache = cache(a.poolHeads, C / a.poolHeads, Lt, 'inf-pool-cache');
  }

  adaOffset(i: number): number {
    return i * this.B * 6 * this.a.dim;
  }

  get headAdaOffset(): number {
    return this.a.depth * this.B * 6 * this.a.dim;
  }

  release(): void {
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned = [];
  }
}

/** The text conditioning (ws.feats already written): cond, the AdaLN vectors, the caches of the pool and the cross-attention, and x = the start token. */
export function recordInfinityText(rec: Recorder, w: InfinityWeights, ws: InfinityWorkspace): void {
  const a = ws.a;
  const { dim: C, textDim: Ct, poolHeads: P } = a;
  const { B, Lt } = ws;
  const rows = B * Lt;
  recordRmsNorm(rec, { R: rows, C: Ct, x: { buffer: ws.feats }, weight: ref(w.textNorm), y: { buffer: ws.featsN }, eps: a.normEps });
  // Attention pool: the learned queries over the normalised features (K/V through the pool's cache).
  recordLinear(rec, { M: rows, K: Ct, N: 2 * C, x: { buffer: ws.featsN }, weights: w.poolKv, y: { buffer: ws.memKv } });
  recordKvAppend(rec, { cache: ws.poolCache, T: Lt, start: 0, kNew: { buffer: ws.memKv }, vNew: { buffer: ws.memKv, offset: C }, kStride: 2 * C, vStride: 2 * C });
  recordAttention(rec, { cache: ws.poolCache, H: P, T: 1, q: { buffer: w.tables, offset: w.at.poolQ }, kvLen: Lt, qStart: 0, mask: 'none', out: { buffer: ws.pooled } });
  recordLinear(rec, { M: B, K: C, N: C, x: { buffer: ws.pooled }, weights: w.poolProj, y: { buffer: ws.cond } });
  // The scale-0 input: cond + pos_start + lvl_embed[0] (the same projection, the start offsets in its bias).
  recordLinear(rec, { M: B, K: C, N: C, x: { buffer: ws.pooled }, weights: w.poolProjStart, y: { buffer: ws.x } });
  recordUnary(rec, 'silu', ws.cond, ws.condSilu, B * C);
  w.blocks.forEach((_, i) => {
    const ada: LinearWeights = { ...w.sharedAda, bias: { buffer: w.tables, offset: w.at.adaBias + i * 6 * C } };
    recordLinear(rec, { M: B, K: C, N: 6 * C, x: { buffer: ws.condSilu }, weights: ada, y: { buffer: ws.ada, offset: ws.adaOffset(i) } });
  });
  recordLinear(rec, { M: B, K: C, N: 2 * C, x: { buffer: ws.condSilu }, weights: w.headAda, y: { buffer: ws.ada, offset: ws.headAdaOffset } });
  // The text memory, then each block's cross-attention keys and values.
  recordLinear(rec, { M: rows, K: Ct, N: C, x: { buffer: ws.featsN }, weights: w.mem0, y: { buffer: ws.memH } });
  recordUnary(rec, 'gelu_tanh', ws.memH, ws.mem, rows * C);
  recordLinear(rec, { M: rows, K: C, N: C, x: { buffer: ws.mem }, weights: w.mem2, y: { buffer: ws.memH } });
  w.blocks.forEach((b, i) => {
    recordLinear(rec, { M: rows, K: C, N: 2 * C, x: { buffer: ws.memH }, weights: b.caKv, y: { buffer: ws.memKv } });
    recordKvAppend(rec, { cache: ws.textCaches[i], T: Lt, start: 0, kNew: { buffer: ws.memKv }, vNew: { buffer: ws.memKv, offset: C }, kStride: 2 * C, vStride: 2 * C });
  });
}

/** The blocks over ws.x ([B, T, C]) on top of `start` cached tokens, RoPE from `rope` ([tokens, hd/2, 2]), then the head into ws.logits [B, T, 2d]. */
export function recordInfinityForward(rec: Recorder, w: InfinityWeights, ws: InfinityWorkspace, T: number, start: number, rope: GPUBuffer): void {
  const a = ws.a;
  const { dim: C, heads: H, headDim: hd } = a;
  const R = ws.B * T;
  const mod = (base: number, scale: number, shift: number, stride: number, rowsPerBatch = T) => ({ buffer: ws.ada, scaleOffset: base + scale, shiftOffset: base + shift, stride, rowsPerBatch });
  const table = { buffer: rope, offset: start * hd };
  w.blocks.forEach((b, i) => {
    const base = ws.adaOffset(i);
    recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(base, 2 * C, 4 * C, 6 * C), eps: a.normEps });
    recordLinear(rec, { M: R, K: C, N: 3 * C, x: { buffer: ws.n }, weights: b.qkv, y: { buffer: ws.qkv } });
    recordRopePairs(rec, { x: { buffer: ws.qkv }, B: ws.B, T, H, D: hd, stride: 3 * C, table });
    recordRopePairs(rec, { x: { buffer: ws.qkv, offset: C }, B: ws.B, T, H, D: hd, stride: 3 * C, table });
    recordKvAppend(rec, { cache: ws.caches[i], T, start, kNew: { buffer: ws.qkv, offset: C }, vNew: { buffer: ws.qkv, offset: 2 * C }, kStride: 3 * C, vStride: 3 * C, l2NormK: true });
    recordAttention(rec, {
      cache: ws.caches[i], H, T, q: { buffer: ws.qkv }, qStride: 3 * C, kvLen: start + T, qStart: start, mask: 'none',
      out: { buffer: ws.attn }, qNorm: { scaleMul: ref(b.scaleMul) },
    });
    recordLinear(rec, { M: R, K: C, N: C, x: { buffer: ws.attn }, weights: b.proj, y: { buffer: ws.tmp } });
    recordGatedAcc(rec, { out: ws.x, y: ws.tmp, gate: ws.ada, gateOffset: base, gateStride: 6 * C, rows: R, cols: C, rowsPerBatch: T });
    // Cross-attention: LN(x)·w + b as a modulation by (w − 1, b), the same for every row.
    const caNorm = { buffer: w.tables, scaleOffset: w.at.caNorm + i * 2 * C, shiftOffset: w.at.caNorm + i * 2 * C + C, stride: 0, rowsPerBatch: R };
    recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: caNorm, eps: a.normEps });
    recordLinear(rec, { M: R, K: C, N: C, x: { buffer: ws.n }, weights: b.caQ, y: { buffer: ws.qkv } });
    recordAttention(rec, { cache: ws.textCaches[i], H, T, q: { buffer: ws.qkv }, kvLen: ws.Lt, qStart: 0, mask: 'none', out: { buffer: ws.attn } });
    recordLinear(rec, { M: R, K: C, N: C, x: { buffer: ws.attn }, weights: b.caProj, y: { buffer: ws.x }, residual: { buffer: ws.x } });
    recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(base, 3 * C, 5 * C, 6 * C), eps: a.normEps });
    recordLinear(rec, { M: R, K: C, N: a.ffn, x: { buffer: ws.n }, weights: b.fc1, y: { buffer: ws.hidden } });
    recordUnary(rec, 'gelu_tanh', ws.hidden, ws.act, R * a.ffn);
    recordLinear(rec, { M: R, K: a.ffn, N: C, x: { buffer: ws.act }, weights: b.fc2, y: { buffer: ws.tmp } });
    recordGatedAcc(rec, { out: ws.x, y: ws.tmp, gate: ws.ada, gateOffset: base + C, gateStride: 6 * C, rows: R, cols: C, rowsPerBatch: T });
  });
  recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(ws.headAdaOffset, 0, C, 2 * C), eps: a.normEps });
  recordLinear(rec, { M: R, K: C, N: 2 * a.bits, x: { buffer: ws.n }, weights: w.head, y: { buffer: ws.logits } });
}
