import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordKvAppend, type KvAppendArgs } from '../../src/kernels/kv_append';
import { kvAppendRef } from '../../src/kernels/reference/kv_append';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

// A copy is exact; the L2 scale is one f32 sqrt and divide per row.
const TOL = { atol: 1e-6, rtol: 1e-6 };

export const suite: KernelSuite = {
  name: 'kv_append',
  tolerance: 'atol 1e-6 + rtol 1e-6 (exact copy; one f32 norm per row with l2-norm)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const T of ODD_TOKEN_COUNTS) {
      const B = rng.int(1, 2);
      const Hkv = rng.pick([1, 2, 4]);
      const D = rng.pick([64, 128, 16, 48, 96]);
      const start = rng.int(0, 500);
      const maxLen = start + T + rng.int(0, 30);
      const l2 = rng.next() < 0.5;
      const fused = rng.next() < 0.5; // k, v as slices of fused rows [q(4 heads) | k | v]
      const stride = fused ? (4 + 2 * Hkv) * D : Hkv * D;
      cases.push({
        name: `B=${B} T=${T} Hkv=${Hkv} D=${D} start=${start} maxLen=${maxLen}${l2 ? ' l2' : ''}${fused ? ' fused-qkv' : ''}`,
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const kc = rng.floats(B * Hkv * maxLen * D); // old contents outside [start, start+T) must survive
            const vc = rng.floats(B * Hkv * maxLen * D);
            const rows = rng.floats(B * T * stride);
            const kOff = fused ? 4 * D : 0;
            const vOff = fused ? (4 + Hkv) * D : 0;
            const vRows = fused ? rows : rng.floats(B * T * stride);
            const [K, V, R, VR] = [t.upload(kc), t.upload(vc), t.upload(rows), fused ? undefined : t.upload(vRows)];
            const args: KvAppendArgs = {
              cache: { k: { buffer: K }, v: { buffer: V }, B, Hkv, maxLen, D }, T, start,
              kNew: { buffer: R, offset: kOff }, vNew: { buffer: VR ?? R, offset: vOff }, kStride: stride, vStride: stride, l2NormK: l2,
            };
            await t.run((rec) => recordKvAppend(rec, args));
            kvAppendRef(kc, vc, rows.subarray(kOff), vRows.subarray(vOff), { B, T, Hkv, D, maxLen, start, kStride: stride, vStride: stride, l2NormK: l2 });
            expectClose('k_cache', await t.readF32(K, kc.length), kc, TOL);
            expectClose('v_cache', await t.readF32(V, vc.length), vc, TOL);
          }),
      });
    }
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [K, V, N] = [t.empty(2 * 16 * 64), t.empty(2 * 16 * 64), t.empty(4 * 128)];
          const a: KvAppendArgs = { cache: { k: { buffer: K }, v: { buffer: V }, B: 1, Hkv: 2, maxLen: 16, D: 64 }, T: 4, start: 12, kNew: { buffer: N }, vNew: { buffer: N } };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('start + T > maxLen', KernelShapeError, () => recordKvAppend(rec(), { ...a, start: 13 }));
          await expectThrows('D=98 (not a multiple of 4)', KernelShapeError, () => recordKvAppend(rec(), { ...a, cache: { ...a.cache, D: 98 } }));
          await expectThrows('D=260 (over 256)', KernelShapeError, () => recordKvAppend(rec(), { ...a, cache: { ...a.cache, D: 260 } }));
          await expectThrows('k_new too small', KernelShapeError, () => recordKvAppend(rec(), { ...a, T: 5, start: 0 }));
          await expectThrows('stride < Hkv·D', KernelShapeError, () => recordKvAppend(rec(), { ...a, kStride: 100 }));
          await expectThrows('cache offset not vec4-aligned', KernelShapeError, () => recordKvAppend(rec(), { ...a, cache: { ...a.cache, k: { buffer: K, offset: 2 } } }));
          const tiny = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 1024 } };
          await expectThrows('binding over the limit', BufferTooLargeError, () => recordKvAppend(new Recorder(tiny, 'errors'), a));
        }),
    });
    return cases;
  },
};
