/**
 * KV-cache append: new k, v of T tokens ([B, T, Hkv, D], possibly slices of a fused qkv row) go
 * into preallocated caches [B, Hkv, maxLen, D] at positions [start, start+T), in place, with an
 * optional per-head L2 normalisation of k (VAR's attn_l2_norm). Also the cache descriptor and the
 * checks that attention shares.
 */
import { KernelShapeError } from '../api/errors';
import type { Binding, Recorder } from '../gpu/recorder';
import type { GpuContext } from '../gpu/device';
import { bindWindow, checkDims } from './feature-checks';
import { fold1D, ceilDiv } from './dispatch-geometry';
import type { TensorRef } from './matmul';
import { tuning } from './tuning';

/** Preallocated f32 caches, each [B, Hkv, maxLen, D] at an element offset (a multiple of 4). */
export interface KvCacheRef {
  k: TensorRef;
  v: TensorRef;
  B: number;
  Hkv: number;
  maxLen: number;
  D: number;
}

export interface KvAppendArgs {
  cache: KvCacheRef;
  /** New tokens per batch row. */
  T: number;
  /** Cache position of the first new token. */
  start: number;
  /** f32 [B, T, Hkv, D]: token rows of kStride elements. */
  kNew: TensorRef;
  vNew: TensorRef;
  /** Elements between consecutive tokens (default Hkv·D; larger for slices of a fused qkv row). */
  kStride?: number;
  vStride?: number;
  /** k ← k / max(‖k‖, 1e-12) per head on the way in (VAR). */
  l2NormK?: boolean;
}

/** Head dims the cache kernels take: multiples of 4 (read as vec4) up to 256 (the split path's lanes). */
export const MAX_HEAD_DIM = 256;
export const headDimSupported = (D: number): boolean => Number.isInteger(D) && D % 4 === 0 && D >= 4 && D <= MAX_HEAD_DIM;

/** Validate a cache and bind its two buffers as vec4-aligned windows. */
export function bindCache(ctx: GpuContext, kernel: string, shapes: string, c: KvCacheRef): { k: { binding: Binding; offset: number }; v: { binding: Binding; offset: number } } {
  checkDims(kernel, shapes, { B: c.B, Hkv: c.Hkv, maxLen: c.maxLen, D: c.D });
  if (!headDimSupported(c.D)) throw new KernelShapeError(kernel, `head dim D=${c.D} is not supported; use a multiple of 4 up to ${MAX_HEAD_DIM} (${shapes})`);
  const elems = c.B * c.Hkv * c.maxLen * c.D;
  const bind = (what: string, t: TensorRef) => {
    if ((t.offset ?? 0) % 4 !== 0) throw new KernelShapeError(kernel, `${what} offset ${t.offset} must be a multiple of 4 elements (read as vec4) (${shapes})`);
    return bindWindow(ctx, kernel, shapes, what, t.buffer, elems, t.offset ?? 0);
  };
  const k = bind('k_cache', c.k);
  const v = bind('v_cache', c.v);
  if (c.k.buffer === c.v.buffer) throw new KernelShapeError(kernel, `k_cache and v_cache must be different buffers (${shapes})`);
  return { k, v };
}

/** Elements a token-strided tensor spans: rows·stride, minus the unused tail of the last row. */
export function stridedElems(rows: number, stride: number, rowElems: number): number {
  return rows === 0 ? 0 : (rows - 1) * stride + rowElems;
}

const KERNEL = 'kv_append';

/** Record the append. Validates everything before recording anything. */
export function recordKvAppend(rec: Recorder, a: KvAppendArgs): void {
  const { cache: c, T, start } = a;
  const rowElems = c.Hkv * c.D;
  const kStride = a.kStride ?? rowElems;
  const vStride = a.vStride ?? rowElems;
  const shapes = `k,v[${c.B},${T},${c.Hkv},${c.D}] → cache[${c.B},${c.Hkv},${c.maxLen},${c.D}] at ${start}`;
  checkDims(KERNEL, shapes, { T, start, kStride, vStride }, ['start']);
  const ctx = rec.ctx;
  const { k: kc, v: vc } = bindCache(ctx, KERNEL, shapes, c);
  if (start + T > c.maxLen) throw new KernelShapeError(KERNEL, `start + T = ${start + T} exceeds the cache capacity maxLen=${c.maxLen} (${shapes})`);
  if (kStride < rowElems || vStride < rowElems) throw new KernelShapeError(KERNEL, `token strides (${kStride}, ${vStride}) must be ≥ Hkv·D = ${rowElems} (${shapes})`);
  for (const [what, t] of [['k_new', a.kNew], ['v_new', a.vNew]] as const) {
    if (t.buffer === c.k.buffer || t.buffer === c.v.buffer) throw new KernelShapeError(KERNEL, `${what} shares a buffer with the cache (${shapes})`);
  }
  const rows = c.B * T;
  const kn = bindWindow(ctx, KERNEL, shapes, 'k_new', a.kNew.buffer, stridedElems(rows, kStride, rowElems), a.kNew.offset ?? 0);
  const vn = bindWindow(ctx, KERNEL, shapes, 'v_new', a.vNew.buffer, stridedElems(rows, vStride, rowElems), a.vNew.offset ?? 0);

  const { WG } = tuning.kvAppend;
  const [nx, ny] = fold1D(ceilDiv(rows * c.Hkv, WG), ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: 'kv_append',
    defines: { WG, L2NORM: a.l2NormK ? 1 : 0 },
    uniforms: {
      B: c.B, T, Hkv: c.Hkv, D: c.D, maxLen: c.maxLen, start,
      k_stride: kStride, v_stride: vStride, k_off: kn.offset, v_off: vn.offset, kc_off: kc.offset, vc_off: vc.offset, nx,
    },
    bindings: [kn.binding, vn.binding, kc.binding, vc.binding],
    workgroups: [nx, ny],
    label: 'kv_append',
  });
}
