// Attention over a KV cache at model-like shapes: one VAR/NextFlow scale (13×13 = 169 rows
// against 424 cached keys, block mask) and text decoding (1 row against 500 keys), both paths
// at each shape so the auto choice can be checked. FLOPs count QKᵀ and P·V: 4·B·T·kvLen·H·D.
import { createStorageBuffer, uploadBuffer } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { attentionPath, recordAttention, type AttentionMask } from '../../src/kernels/attention';
import { Rng } from '../kernels/harness';
import { dispatchRun, type BenchEntry } from './bench';

interface Shape { T: number; kvLen: number; H: number; Hkv: number; D: 64 | 128; mask: AttentionMask }

const SHAPES: Shape[] = [
  { T: 169, kvLen: 424, H: 4, Hkv: 2, D: 64, mask: 'block' },
  { T: 1, kvLen: 500, H: 4, Hkv: 2, D: 64, mask: 'causal' },
  { T: 1, kvLen: 500, H: 28, Hkv: 4, D: 128, mask: 'causal' }, // Qwen2.5-7B-sized decode step
];

async function setup(ctx: GpuContext, s: Shape, path: 'rows' | 'split') {
  const rng = new Rng(s.T * 131 + s.kvLen);
  const Q = uploadBuffer(ctx, rng.floats(s.T * s.H * s.D), 'bench-q');
  const K = uploadBuffer(ctx, rng.floats(s.Hkv * s.kvLen * s.D), 'bench-k');
  const V = uploadBuffer(ctx, rng.floats(s.Hkv * s.kvLen * s.D), 'bench-v');
  const O = createStorageBuffer(ctx, s.T * s.H * s.D * 4, 'bench-o');
  const cache = { k: { buffer: K }, v: { buffer: V }, B: 1, Hkv: s.Hkv, maxLen: s.kvLen, D: s.D };
  return dispatchRun(
    ctx,
    (rec) => recordAttention(rec, { cache, H: s.H, T: s.T, q: { buffer: Q }, kvLen: s.kvLen, qStart: s.kvLen - s.T, mask: s.mask, out: { buffer: O }, path }),
    () => [Q, K, V, O].forEach((b) => b.destroy()),
  );
}

export const benches: BenchEntry[] = SHAPES.flatMap((s) => {
  const group = `T=${s.T} kvLen=${s.kvLen} H=${s.H}/${s.Hkv} D=${s.D} ${s.mask}`;
  const auto = attentionPath(s.T, s.H / s.Hkv);
  return (['rows', 'split'] as const).map((path) => ({
    name: `attention.${path}${path === auto ? '' : ' (not auto)'}`,
    group,
    flops: 4 * s.T * s.kvLen * s.H * s.D,
    bytes: (2 * s.Hkv * s.kvLen + 2 * s.T * s.H) * s.D * 4,
    setup: (ctx: GpuContext) => setup(ctx, s, path),
  }));
});
