/**
 * The NextFlow-style decoder on the GPU: records (never submits) one forward pass over T new
 * tokens of B rows (B = 2 for CFG: conditional row 0, unconditional row 1) on top of the KV cache.
 * Mirrors tools/nextscale_tools/model.py:
 *   h = x + o_proj(attn(rope(q), rope(k), v));  x = h + down(silu(gate(n)) · up(n)),  n = RMSNorm(h)
 */
import type { GpuContext } from '../../gpu/device';
import type { Recorder } from '../../gpu/recorder';
import { recordLinear, type LinearWeights } from '../../kernels/matmul';
import { recordRmsNorm } from '../../kernels/rmsnorm';
import { recordRope } from '../../kernels/rope';
import { recordKvAppend, type KvCacheRef } from '../../kernels/kv_append';
import { recordAttention } from '../../kernels/attention';
import { recordBinary } from '../../kernels/elementwise';
import { recordCodebookGather } from '../../kernels/codebook_gather';
import { createStorageBuffer } from '../../gpu/buffers';
import { linearWeights, weightRef, type GpuWeight, type WeightSet } from '../weights';
import type { NextFlowArch } from './config';

export interface LayerWeights {
  attnNorm: GpuWeight;
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  o: LinearWeights;
  mlpNorm: GpuWeight;
  gate: LinearWeights;
  up: LinearWeights;
  down: LinearWeights;
}

export interface TransformerWeights {
  embed: GpuWeight;
  layers: LayerWeights[];
  norm: GpuWeight;
  head: GpuWeight;
}

const ref = weightRef;
const lin = linearWeights;

/** Look up and shape-check the transformer's tensors (prefix "lm."). */
export function bindTransformerWeights(ws: WeightSet, a: NextFlowArch, vocab: number, prefix = 'lm.'): TransformerWeights {
  const D = a.dim;
  const qd = a.heads * a.headDim;
  const kvd = a.kvHeads * a.headDim;
  const t = (n: string, shape: number[]) => ws.expectShape(prefix + n, shape);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < a.layers; i++) {
    const p = `layers.${i}.`;
    layers.push({
      attnNorm: t(p + 'attn_norm.weight', [D]),
      q: lin(t(p + 'q_proj.weight', [qd, D]), t(p + 'q_proj.bias', [qd])),
      k: lin(t(p + 'k_proj.weight', [kvd, D]), t(p + 'k_proj.bias', [kvd])),
      v: lin(t(p + 'v_proj.weight', [kvd, D]), t(p + 'v_proj.bias', [kvd])),
      o: lin(t(p + 'o_proj.weight', [D, qd])),
      mlpNorm: t(p + 'mlp_norm.weight', [D]),
      gate: lin(t(p + 'gate_proj.weight', [a.ffn, D])),
      up: lin(t(p + 'up_proj.weight', [a.ffn, D])),
      down: lin(t(p + 'down_proj.weight', [D, a.ffn])),
    });
  }
  return { embed: t('embed_tokens.weight', [vocab, D]), layers, norm: t('norm.weight', [D]), head: t('head.weight', [vocab, D]) };
}

/** Activation buffers for up to `maxRows` = B·T rows, reused by every forward of a request. */
export class Workspace {
  readonly x: GPUBuffer;
  readonly n: GPUBuffer;
  readonly q: GPUBuffer;
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
  readonly attn: GPUBuffer;
  readonly gate: GPUBuffer;
  readonly up: GPUBuffer;
  readonly act: GPUBuffer;
  readonly positions: GPUBuffer;
  readonly caches: KvCacheRef[];
  private owned: GPUBuffer[] = [];

  constructor(
    private ctx: GpuContext,
    a: NextFlowArch,
    readonly B: number,
    readonly maxRows: number,
    readonly maxLen: number,
  ) {
    const f = (elems: number, label: string) => {
      const b = ctx.pool.acquire(elems * 4, label);
      this.owned.push(b);
      return b;
    };
    this.x = f(maxRows * a.dim, 'x');
    this.n = f(maxRows * a.dim, 'n');
    this.q = f(maxRows * a.heads * a.headDim, 'q');
    this.k = f(maxRows * a.kvHeads * a.headDim, 'k');
    this.v = f(maxRows * a.kvHeads * a.headDim, 'v');
    this.attn = f(maxRows * a.heads * a.headDim, 'attn');
    this.gate = f(maxRows * a.ffn, 'gate');
    this.up = f(maxRows * a.ffn, 'up');
    this.act = f(maxRows * a.ffn, 'act');
    this.positions = f(Math.max(1, maxRows) * 3, 'positions');
    const cacheElems = B * a.kvHeads * maxLen * a.headDim;
    this.caches = Array.from({ length: a.layers }, () => ({
      k: { buffer: f(cacheElems, 'k-cache') },
      v: { buffer: f(cacheElems, 'v-cache') },
      B,
      Hkv: a.kvHeads,
      maxLen,
      D: a.headDim,
    }));
  }

  release(): void {
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned = [];
  }
}

export interface ForwardStep {
  /** New tokens per batch row. */
  T: number;
  /** Cache position of the first new token. */
  start: number;
  /** 'causal' for text, 'block' for one scale of image tokens. */
  mask: 'causal' | 'block';
}

/**
 * Run the layers over ws.x ([B, T, dim], already holding the input embeddings; ws.positions
 * holding [T, 3] positions) and leave the final-normed hidden states in ws.n.
 */
export function recordLayers(rec: Recorder, w: TransformerWeights, a: NextFlowArch, ws: Workspace, step: ForwardStep): void {
  const { T, start, mask } = step;
  const R = ws.B * T;
  const D = a.dim;
  const qd = a.heads * a.headDim;
  const kvd = a.kvHeads * a.headDim;
  const sections = a.ropeSections;
  w.layers.forEach((L, i) => {
    const cache = ws.caches[i];
    recordRmsNorm(rec, { R, C: D, x: { buffer: ws.x }, weight: ref(L.attnNorm), y: { buffer: ws.n }, eps: a.rmsEps });
    recordLinear(rec, { M: R, K: D, N: qd, x: { buffer: ws.n }, weights: L.q, y: { buffer: ws.q } });
    recordLinear(rec, { M: R, K: D, N: kvd, x: { buffer: ws.n }, weights: L.k, y: { buffer: ws.k } });
    recordLinear(rec, { M: R, K: D, N: kvd, x: { buffer: ws.n }, weights: L.v, y: { buffer: ws.v } });
    const rope = { B: ws.B, T, D: a.headDim, positions: { buffer: ws.positions }, theta: a.ropeTheta, sections };
    recordRope(rec, { ...rope, x: { buffer: ws.q }, H: a.heads });
    recordRope(rec, { ...rope, x: { buffer: ws.k }, H: a.kvHeads });
    recordKvAppend(rec, { cache, T, start, kNew: { buffer: ws.k }, vNew: { buffer: ws.v } });
    recordAttention(rec, { cache, H: a.heads, T, q: { buffer: ws.q }, kvLen: start + T, qStart: start, mask, out: { buffer: ws.attn } });
    // x += o_proj(attn): the residual is y itself.
    recordLinear(rec, { M: R, K: qd, N: D, x: { buffer: ws.attn }, weights: L.o, y: { buffer: ws.x }, residual: { buffer: ws.x } });
    recordRmsNorm(rec, { R, C: D, x: { buffer: ws.x }, weight: ref(L.mlpNorm), y: { buffer: ws.n }, eps: a.rmsEps });
    recordLinear(rec, { M: R, K: D, N: a.ffn, x: { buffer: ws.n }, weights: L.gate, y: { buffer: ws.gate } });
    recordLinear(rec, { M: R, K: D, N: a.ffn, x: { buffer: ws.n }, weights: L.up, y: { buffer: ws.up } });
    recordBinary(rec, 'swiglu', ws.gate, ws.up, ws.act, R * a.ffn);
    recordLinear(rec, { M: R, K: a.ffn, N: D, x: { buffer: ws.act }, weights: L.down, y: { buffer: ws.x }, residual: { buffer: ws.x } });
  });
  recordRmsNorm(rec, { R, C: D, x: { buffer: ws.x }, weight: ref(w.norm), y: { buffer: ws.n }, eps: a.rmsEps });
}

/** ws.x[r] = embed[ids[r]] for the R = B·T token ids in `ids` (u32). */
export function recordEmbedTokens(rec: Recorder, w: TransformerWeights, a: NextFlowArch, ws: Workspace, ids: GPUBuffer, R: number, vocab: number): void {
  recordCodebookGather(rec, { codes: ids, codebook: w.embed.buffer, codebookOffset: w.embed.offset, out: ws.x, B: 1, h: 1, w: R, V: vocab, C: a.dim, layout: 'tokens' });
}

/** The head's rows from vocab column `col0` on, as Linear weights (the rows are contiguous: one weight offset). */
export function headColumns(w: TransformerWeights, D: number): (col0: number) => LinearWeights {
  const wordsPerRow = w.head.dtype === 'f16' ? D / 2 : D;
  return (col0) => ({ dtype: w.head.dtype, w: { buffer: w.head.buffer, offset: w.head.offset + col0 * wordsPerRow } });
}

/**
 * logits[b, t, :] = head(n[b, rows…]) restricted to vocab columns [col0, col0 + ncols): the head
 * rows of that range are contiguous, so it is one Linear at a weight offset. `rowsOf(b)` gives the
 * first hidden row of batch b and `T` rows are taken.
 */
export function recordHead(rec: Recorder, w: TransformerWeights, a: NextFlowArch, ws: Workspace, logits: GPUBuffer, o: { T: number; rowOfBatch: (b: number) => number; col0: number; ncols: number }): void {
  const D = a.dim;
  const weights = headColumns(w, D)(o.col0);
  for (let b = 0; b < ws.B; b++) {
    recordLinear(rec, { M: o.T, K: D, N: o.ncols, x: { buffer: ws.n, offset: o.rowOfBatch(b) * D }, weights, y: { buffer: logits, offset: b * o.T * o.ncols } });
  }
}

export function createLogitsBuffer(ctx: GpuContext, rows: number, ncols: number): GPUBuffer {
  return createStorageBuffer(ctx, rows * ncols * 4, 'logits');
}
