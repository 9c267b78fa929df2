import { KernelShapeError } from '../../src/gpu/errors';
import { recordBinary, recordScale, recordSwigluFused, recordUnary } from '../../src/kernels/elementwise';
import { binaryRef, scaleRef, swigluFusedRef, unaryRef } from '../../src/kernels/reference/elementwise';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

const TOL = { atol: 1e-5, rtol: 1e-5 };

export const suite: KernelSuite = {
  name: 'elementwise',
  tolerance: 'atol 1e-5 + rtol 1e-5 (f32 transcendental rounding)',
  cases(rng) {
    const cases: KernelCase[] = [];
    const sizes = [...ODD_TOKEN_COUNTS.map((t) => t * rng.int(1, 70)), rng.int(1, 300_000)];
    for (const n of sizes) {
      for (const op of ['gelu_tanh', 'silu'] as const) {
        cases.push({
          name: `${op} n=${n}`,
          run: (ctx) =>
            withBuffers(ctx, async (t) => {
              const a = rng.floats(n, 4);
              a[0] = 30; // large |x| must not give NaN
              const A = t.upload(a);
              const O = t.empty(n);
              await t.run((rec) => recordUnary(rec, op, A, O, n));
              expectClose(op, await t.readF32(O, n), unaryRef(op, a), TOL);
            }),
        });
      }
      for (const op of ['add', 'mul', 'swiglu'] as const) {
        cases.push({
          name: `${op} n=${n}`,
          run: (ctx) =>
            withBuffers(ctx, async (t) => {
              const a = rng.floats(n, 3);
              const b = rng.floats(n, 3);
              const O = t.empty(n);
              const [A, B] = [t.upload(a), t.upload(b)];
              await t.run((rec) => recordBinary(rec, op, A, B, O, n));
              expectClose(op, await t.readF32(O, n), binaryRef(op, a, b), TOL);
            }),
        });
      }
    }
    const rows = rng.pick(ODD_TOKEN_COUNTS);
    const cols = rng.int(1, 700);
    cases.push({
      name: `swiglu_fused rows=${rows} cols=${cols}`,
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const gu = rng.floats(rows * cols * 2, 3);
          const O = t.empty(rows * cols);
          const GU = t.upload(gu);
          await t.run((rec) => recordSwigluFused(rec, GU, O, rows, cols));
          expectClose('swiglu_fused', await t.readF32(O, rows * cols), swigluFusedRef(gu, rows, cols), TOL);
        }),
    });
    cases.push({
      name: 'scale n=1000',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const a = rng.floats(1000);
          const A = t.upload(a);
          const O = t.empty(1000);
          await t.run((rec) => recordScale(rec, A, O, 1000, 0.37, -1.5));
          expectClose('scale', await t.readF32(O, 1000), scaleRef(a, 0.37, -1.5), TOL);
        }),
    });
    cases.push({
      name: 'bad shape raises KernelShapeError',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const A = t.empty(10);
          const O = t.empty(10);
          await expectThrows('too short', KernelShapeError, () => t.run((rec) => recordUnary(rec, 'silu', A, O, 11)));
        }),
    });
    return cases;
  },
};
