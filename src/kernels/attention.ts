/**
 * Fused attention over a KV cache (attention.wgsl): q [B, T, H, D] against the first kvLen
 * entries of caches [B, Hkv, maxLen, D], online softmax, GQA, causal / block / no mask, optional
 * VAR q-normalisation with a learned per-head scale. Output [B, T, H, D].
 * Two paths: 'rows' (a thread per query row, K/V tiles in workgroup memory) for prefill and
 * scales, 'split' (keys split across a workgroup per row) for decoding.
 */
import { KernelShapeError, UnsupportedDtypeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D } from './dispatch-geometry';
import { bindCache, stridedElems, type KvCacheRef } from './kv_append';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

export type AttentionMask = 'causal' | 'block' | 'none';
export type AttentionPath = 'auto' | 'rows' | 'split';
export const ATTENTION_DTYPES = ['f32'] as const;

export interface AttentionArgs {
  cache: KvCacheRef;
  /** Query heads (a multiple of cache.Hkv). */
  H: number;
  /** Query rows per batch entry. */
  T: number;
  /** f32 [B, T, H, D]: token rows of qStride elements (default H·D). */
  q: TensorRef;
  qStride?: number;
  /** Valid cache entries (the new rows already appended). */
  kvLen: number;
  /** Cache position of query row 0 (causal and block masks). */
  qStart: number;
  /** causal: row i sees j ≤ qStart+i; block: all j < qStart+T; none: all j < kvLen. */
  mask: AttentionMask;
  /** f32 [B, T, H, D], contiguous; a buffer of its own. */
  out: TensorRef;
  /** Softmax scale; default 1/√D, or 1 with qNorm. */
  scale?: number;
  /** VAR: q ← normalize(q)·exp(min(scaleMul[h], ln 100)); scaleMul f32 [H] at an element offset. */
  qNorm?: { scaleMul: TensorRef };
  /** Activation and cache dtype; only 'f32'. */
  dtype?: string;
  /** Forces a path (tests, benchmarks). */
  path?: AttentionPath;
}

const KERNEL = 'attention';
/** attention.wgsl's MASK_* constants. */
const MASK_CODE: Record<AttentionMask, number> = { none: 0, causal: 1, block: 2 };

/**
 * Keys per tile of the rows path: the tuned value for 64 and 128, otherwise as many as keep K and V tiles
 * (2·BK·D·4 bytes) within 16 KiB of workgroup memory, a multiple of 4, at most 32.
 */
export function keysPerTile(D: number): number {
  const tuned = (tuning.attention.BK as Record<number, number>)[D];
  return tuned ?? Math.max(4, Math.min(32, Math.floor(2048 / D / 4) * 4));
}

/** Threads of the split path: the tuned count when D/4 divides it, else the largest multiple of D/4 below it. */
export function splitThreads(D: number): number {
  const WG = tuning.attention.SPLIT_WG;
  const D4 = D / 4;
  return WG % D4 === 0 ? WG : Math.max(D4, Math.floor(WG / D4) * D4);
}

/** The path `recordAttention` takes for T rows of G query heads per KV head. */
export function attentionPath(T: number, G: number, path: AttentionPath = 'auto'): 'rows' | 'split' {
  if (path !== 'auto') return path;
  return T * G <= tuning.attention.SPLIT_MAX_ROWS ? 'split' : 'rows';
}

/** Record the attention. Validates everything before recording anything. */
export function recordAttention(rec: Recorder, a: AttentionArgs): void {
  const { cache: c, H, T, kvLen, qStart, mask } = a;
  const dtype = a.dtype ?? 'f32';
  if (!(ATTENTION_DTYPES as readonly string[]).includes(dtype)) throw new UnsupportedDtypeError(KERNEL, dtype, ATTENTION_DTYPES);
  const D = c.D;
  const qStride = a.qStride ?? H * D;
  const shapes = `q[${c.B},${T},${H},${D}] · cache[${c.B},${c.Hkv},${c.maxLen},${D}] kvLen=${kvLen} qStart=${qStart} mask=${mask}`;
  checkDims(KERNEL, shapes, { H, T, kvLen, qStart, qStride }, ['qStart']);
  if (!['causal', 'block', 'none'].includes(mask)) throw new KernelShapeError(KERNEL, `mask "${mask}" is not one of causal, block, none`);
  const ctx = rec.ctx;
  const { k: kc, v: vc } = bindCache(ctx, KERNEL, shapes, c);
  if (H % c.Hkv !== 0) throw new KernelShapeError(KERNEL, `H=${H} query heads is not a multiple of Hkv=${c.Hkv} KV heads (${shapes})`);
  if (kvLen > c.maxLen) throw new KernelShapeError(KERNEL, `kvLen=${kvLen} exceeds the cache capacity maxLen=${c.maxLen} (${shapes})`);
  if (mask !== 'none' && qStart + T > kvLen) {
    throw new KernelShapeError(KERNEL, `qStart + T = ${qStart + T} exceeds kvLen=${kvLen}: append the new keys first (${shapes})`);
  }
  if (qStride < H * D) throw new KernelShapeError(KERNEL, `qStride=${qStride} must be ≥ H·D = ${H * D} (${shapes})`);
  const inputs: Array<[string, GPUBuffer]> = [['q', a.q.buffer], ['k_cache', c.k.buffer], ['v_cache', c.v.buffer]];
  if (a.qNorm) inputs.push(['scale_mul', a.qNorm.scaleMul.buffer]);
  for (const [what, b] of inputs) {
    if (b === a.out.buffer) throw new KernelShapeError(KERNEL, `${what} and out are the same buffer; WebGPU cannot read and write one buffer in a dispatch (${shapes})`);
  }
  const q = bindWindow(ctx, KERNEL, shapes, 'q', a.q.buffer, stridedElems(c.B * T, qStride, H * D), a.q.offset ?? 0);
  const out = bindWindow(ctx, KERNEL, shapes, 'out', a.out.buffer, c.B * T * H * D, a.out.offset ?? 0);
  const sm = a.qNorm ? bindWindow(ctx, KERNEL, shapes, 'scale_mul', a.qNorm.scaleMul.buffer, H, a.qNorm.scaleMul.offset ?? 0) : undefined;
  const scale = a.scale ?? (a.qNorm ? 1 : 1 / Math.sqrt(D));

  const G = H / c.Hkv;
  const path = attentionPath(T, G, a.path);
  const t = tuning.attention;
  const groups = path === 'split' ? c.B * H * T : c.B * c.Hkv * Math.ceil((T * G) / t.WG);
  const [nx, ny] = fold1D(groups, ctx.limits.maxComputeWorkgroupsPerDimension);
  const tile: Record<string, number> = path === 'split' ? { WG: splitThreads(D), SK: t.SK } : { WG: t.WG, BK: keysPerTile(D) };
  rec.dispatch({
    shader: 'attention',
    defines: { D, SPLIT: path === 'split' ? 1 : 0, ...tile },
    uniforms: {
      B: c.B, T, H, Hkv: c.Hkv, G, maxLen: c.maxLen, kvLen, qStart, q_stride: qStride,
      q_off: q.offset, kc_off4: kc.offset / 4, vc_off4: vc.offset / 4, o_off: out.offset, sm_off: sm?.offset ?? 0,
      scale, mask: MASK_CODE[mask], q_norm: a.qNorm ? 1 : 0, nx,
    },
    bindings: [q.binding, kc.binding, vc.binding, (sm ?? q).binding, out.binding],
    workgroups: [nx, ny],
    label: `attention:${path}:D${D}:${mask}`,
  });
}
