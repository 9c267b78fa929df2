import { KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { interleaveCosSin, recordRopePairs } from '../../src/kernels/rope_pairs';
import { ropePairsRef } from '../../src/kernels/reference/rope';
import { infinitySchedule, ropeTables } from '../../src/models/infinity/schedule';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

// The angles come from the table on both sides: what is left is one f32 rotation per pair, |x| ~ 1.
const TOL = { atol: 1e-6, rtol: 1e-6 };

export const suite: KernelSuite = {
  name: 'rope_pairs',
  tolerance: 'atol 1e-6 + rtol 1e-6 (one f32 rotation per pair against float64)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const T of ODD_TOKEN_COUNTS) {
      const B = rng.int(1, 2);
      const H = rng.pick([1, 2, 4, 7]);
      const D = rng.pick([16, 48, 64, 96, 128]);
      const stride = rng.next() < 0.3 ? (H + 3) * D : H * D; // sometimes q or k inside fused qkv rows
      const off = rng.int(0, 9);
      const tOff = 2 * rng.int(0, 5);
      // Half the cases take real Infinity angles (a schedule's token positions), half random ones.
      const real = rng.next() < 0.5;
      cases.push({
        name: `B=${B} T=${T} H=${H} D=${D} stride=${stride}${real ? ' Infinity angles' : ''}`,
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const x = rng.floats(off + B * T * stride);
            let table: Float32Array;
            if (real) {
              const s = infinitySchedule(rng.pick([1, 0.5, 1.25]), 1024);
              const { cos, sin } = ropeTables(s, D);
              const start = rng.int(0, s.tokens - T);
              table = interleaveCosSin(cos.subarray(start * (D / 2), (start + T) * (D / 2)), sin.subarray(start * (D / 2), (start + T) * (D / 2)));
            } else {
              const ang = Array.from({ length: T * (D / 2) }, () => rng.normal() * 30);
              table = interleaveCosSin(Float32Array.from(ang, Math.cos), Float32Array.from(ang, Math.sin));
            }
            const X = t.upload(x);
            const TB = t.upload(Float32Array.from([...new Array(tOff).fill(Number.NaN), ...table])); // padding before the table
            await t.run((rec) => recordRopePairs(rec, { x: { buffer: X, offset: off }, B, T, H, D, stride, table: { buffer: TB, offset: tOff } }));
            const want = Float32Array.from([...x.subarray(0, off), ...ropePairsRef(x.subarray(off), table, { B, T, H, D, stride })]);
            expectClose('rope_pairs', await t.readF32(X, x.length), want, TOL);
          }),
      });
    }
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const X = t.empty(4 * 64);
          const TB = t.empty(4 * 64);
          const a = { x: { buffer: X }, B: 1, T: 4, H: 1, D: 64, table: { buffer: TB } };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('odd D', KernelShapeError, () => recordRopePairs(rec(), { ...a, D: 63 }));
          await expectThrows('stride < H·D', KernelShapeError, () => recordRopePairs(rec(), { ...a, stride: 32 }));
          await expectThrows('table = x', KernelShapeError, () => recordRopePairs(rec(), { ...a, table: { buffer: X } }));
          await expectThrows('table too small', KernelShapeError, () => recordRopePairs(rec(), { ...a, T: 5 }));
        }),
    });
    return cases;
  },
};
