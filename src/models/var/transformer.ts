/**
 * VAR's transformer on the GPU (VAR_SPEC.md §2), recorded (never submitted) per scale for the two
 * CFG rows (row 0 the class, row 1 the null class). Per block, with (γ1, γ2, s1, s2, b1, b2) = ada_lin(SiLU(cond)):
 *   x += γ1 · proj(attn(LN(x)·(1+s1) + b1))      attention: q, k l2-normalised, q·exp(min(scale_mul, ln 100))
 *   x += γ2 · fc2(GELU_tanh(fc1(LN(x)·(1+s2) + b2)))
 * and the head: logits = head(LN(x)·(1+scale) + shift), (scale, shift) = head_nm.ada_lin(SiLU(cond)).
 * The new tokens attend to every cached token without a mask, as VAR's inference does.
 */
import type { GpuContext } from '../../gpu/device';
import type { Recorder } from '../../gpu/recorder';
import { recordLinear, type LinearWeights } from '../../kernels/matmul';
import { recordLayerNorm } from '../../kernels/layernorm';
import { recordKvAppend, type KvCacheRef } from '../../kernels/kv_append';
import { recordAttention } from '../../kernels/attention';
import { recordGatedAcc, recordUnary } from '../../kernels/elementwise';
import { linearWeights, weightRef, type GpuWeight, type WeightSet } from '../weights';
import type { VarArch } from './config';

export interface VarBlock {
  scaleMul: GpuWeight;
  qkv: LinearWeights;
  proj: LinearWeights;
  fc1: LinearWeights;
  fc2: LinearWeights;
  ada: LinearWeights;
}

export interface VarBlocks {
  blocks: VarBlock[];
  headAda: LinearWeights;
  head: LinearWeights;
}

const ref = weightRef;
const lin = linearWeights;

export function bindVarBlocks(ws: WeightSet, a: VarArch, vocab: number): VarBlocks {
  const C = a.dim;
  const t = (n: string, shape: number[]) => ws.expectShape('var.' + n, shape);
  const blocks: VarBlock[] = [];
  for (let i = 0; i < a.depth; i++) {
    const p = `blocks.${i}.`;
    // The official q_bias and v_bias travel along; the converter folded them into qkv_bias, bound below.
    t(p + 'attn.q_bias', [C]);
    t(p + 'attn.v_bias', [C]);
    blocks.push({
      scaleMul: t(p + 'attn.scale_mul_1H11', [1, a.heads, 1, 1]),
      // q_bias, a zero k bias and v_bias in one vector (written by the converter).
      qkv: lin(t(p + 'attn.mat_qkv.weight', [3 * C, C]), t(p + 'attn.qkv_bias', [3 * C])),
      proj: lin(t(p + 'attn.proj.weight', [C, C]), t(p + 'attn.proj.bias', [C])),
      fc1: lin(t(p + 'ffn.fc1.weight', [a.ffn, C]), t(p + 'ffn.fc1.bias', [a.ffn])),
      fc2: lin(t(p + 'ffn.fc2.weight', [C, a.ffn]), t(p + 'ffn.fc2.bias', [C])),
      ada: lin(t(p + 'ada_lin.1.weight', [6 * C, C]), t(p + 'ada_lin.1.bias', [6 * C])),
    });
  }
  return {
    blocks,
    headAda: lin(t('head_nm.ada_lin.1.weight', [2 * C, C]), t('head_nm.ada_lin.1.bias', [2 * C])),
    head: lin(t('head.weight', [vocab, C]), t('head.bias', [vocab])),
  };
}

/** Activations for up to B·maxT rows and the KV caches of one image. */
export class VarWorkspace {
  readonly B = 2;
  readonly x: GPUBuffer;
  readonly n: GPUBuffer;
  readonly qkv: GPUBuffer;
  readonly attn: GPUBuffer;
  readonly tmp: GPUBuffer;
  readonly hidden: GPUBuffer;
  readonly act: GPUBuffer;
  readonly logits: GPUBuffer;
  /** f32 [2, C]: SiLU(cond) of both rows, written from the CPU. */
  readonly condSilu: GPUBuffer;
  /** f32 [depth, 2, 6C] then [2, 2C]: every block's AdaLN vectors and the head's. */
  readonly ada: GPUBuffer;
  readonly caches: KvCacheRef[];
  private owned: GPUBuffer[] = [];

  constructor(
    private ctx: GpuContext,
    readonly a: VarArch,
    maxT: number,
    maxLen: number,
    vocab: number,
  ) {
    const f = (elems: number, label: string) => {
      const b = ctx.pool.acquire(elems * 4, label);
      this.owned.push(b);
      return b;
    };
    const R = this.B * maxT;
    const C = a.dim;
    this.x = f(R * C, 'var-x');
    this.n = f(R * C, 'var-n');
    this.qkv = f(R * 3 * C, 'var-qkv');
    this.attn = f(R * C, 'var-attn');
    this.tmp = f(R * C, 'var-tmp');
    this.hidden = f(R * a.ffn, 'var-ffn');
    this.act = f(R * a.ffn, 'var-ffn-act');
    this.logits = f(R * vocab, 'var-logits');
    this.condSilu = f(2 * C, 'var-cond');
    this.ada = f(a.depth * 2 * 6 * C + 2 * 2 * C, 'var-ada');
    const cacheElems = this.B * a.heads * maxLen * a.headDim;
    this.caches = Array.from({ length: a.depth }, () => ({
      k: { buffer: f(cacheElems, 'var-k-cache') },
      v: { buffer: f(cacheElems, 'var-v-cache') },
      B: this.B,
      Hkv: a.heads,
      maxLen,
      D: a.headDim,
    }));
  }

  /** Element offset of block i's AdaLN vectors (row 0; row 1 is 6C further). */
  adaOffset(i: number): number {
    return i * 2 * 6 * this.a.dim;
  }

  get headAdaOffset(): number {
    return this.a.depth * 2 * 6 * this.a.dim;
  }

  release(): void {
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned = [];
  }
}

/** Every block's ada_lin and the head's on SiLU(cond): constant for the whole image. */
export function recordVarAda(rec: Recorder, w: VarBlocks, ws: VarWorkspace): void {
  const C = ws.a.dim;
  w.blocks.forEach((b, i) => recordLinear(rec, { M: 2, K: C, N: 6 * C, x: { buffer: ws.condSilu }, weights: b.ada, y: { buffer: ws.ada, offset: ws.adaOffset(i) } }));
  recordLinear(rec, { M: 2, K: C, N: 2 * C, x: { buffer: ws.condSilu }, weights: w.headAda, y: { buffer: ws.ada, offset: ws.headAdaOffset } });
}

/** The blocks over ws.x ([2, T, C], the scale's input) on top of `start` cached tokens, then the head into ws.logits [2, T, V]. */
export function recordVarForward(rec: Recorder, w: VarBlocks, ws: VarWorkspace, T: number, start: number, vocab: number): void {
  const a = ws.a;
  const C = a.dim;
  const R = ws.B * T;
  const mod = (base: number, scale: number, shift: number, stride: number) => ({ buffer: ws.ada, scaleOffset: base + scale, shiftOffset: base + shift, stride, rowsPerBatch: T });
  w.blocks.forEach((b, i) => {
    const base = ws.adaOffset(i);
    const cache = ws.caches[i];
    recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(base, 2 * C, 4 * C, 6 * C), eps: a.lnEps });
    recordLinear(rec, { M: R, K: C, N: 3 * C, x: { buffer: ws.n }, weights: b.qkv, y: { buffer: ws.qkv } });
    recordKvAppend(rec, { cache, T, start, kNew: { buffer: ws.qkv, offset: C }, vNew: { buffer: ws.qkv, offset: 2 * C }, kStride: 3 * C, vStride: 3 * C, l2NormK: true });
    recordAttention(rec, {
      cache, H: a.heads, T, q: { buffer: ws.qkv }, qStride: 3 * C, kvLen: start + T, qStart: start, mask: 'none',
      out: { buffer: ws.attn }, qNorm: { scaleMul: ref(b.scaleMul) },
    });
    recordLinear(rec, { M: R, K: C, N: C, x: { buffer: ws.attn }, weights: b.proj, y: { buffer: ws.tmp } });
    recordGatedAcc(rec, { out: ws.x, y: ws.tmp, gate: ws.ada, gateOffset: base, gateStride: 6 * C, rows: R, cols: C, rowsPerBatch: T });
    recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(base, 3 * C, 5 * C, 6 * C), eps: a.lnEps });
    recordLinear(rec, { M: R, K: C, N: a.ffn, x: { buffer: ws.n }, weights: b.fc1, y: { buffer: ws.hidden } });
    recordUnary(rec, 'gelu_tanh', ws.hidden, ws.act, R * a.ffn);
    recordLinear(rec, { M: R, K: a.ffn, N: C, x: { buffer: ws.act }, weights: b.fc2, y: { buffer: ws.tmp } });
    recordGatedAcc(rec, { out: ws.x, y: ws.tmp, gate: ws.ada, gateOffset: base + C, gateStride: 6 * C, rows: R, cols: C, rowsPerBatch: T });
  });
  recordLayerNorm(rec, { R, C, x: { buffer: ws.x }, y: { buffer: ws.n }, modulation: mod(ws.headAdaOffset, 0, C, 2 * C), eps: a.lnEps });
  recordLinear(rec, { M: R, K: C, N: vocab, x: { buffer: ws.n }, weights: w.head, y: { buffer: ws.logits } });
}
