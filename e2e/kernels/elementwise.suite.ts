import { KernelShapeError } from '../../src/api/errors';
import { recordBinary, recordGatedAcc, recordScale, recordSwigluFused, recordUnary } from '../../src/kernels/elementwise';
import { binaryRef, gatedAccRef, scaleRef, swigluFusedRef, unaryRef } from '../../src/kernels/reference/elementwise';
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
    for (const [B, T, cols] of [[2, 1, 1024], [2, 9, 128], [1, 5, 7], [2, rng.int(1, 40), rng.int(1, 300)]]) {
      cases.push({
        name: `gated_acc B=${B} T=${T} cols=${cols} (VAR x += γ·f(x))`,
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const rows = B * T;
            const gStride = 6 * cols;
            const gOff = rng.int(0, 2) * cols;
            const [x, y, g] = [rng.floats(rows * cols), rng.floats(rows * cols), rng.floats(gOff + B * gStride)];
            const [X, Y, G] = [t.upload(x), t.upload(y), t.upload(g)];
            await t.run((rec) => recordGatedAcc(rec, { out: X, y: Y, gate: G, gateOffset: gOff, gateStride: gStride, rows, cols, rowsPerBatch: T }));
            expectClose('gated_acc', await t.readF32(X, rows * cols), gatedAccRef(x, y, g, cols, T, gOff, gStride), TOL);
          }),
      });
    }
    cases.push({
      name: 'bad shape raises KernelShapeError',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const A = t.empty(10);
          const O = t.empty(10);
          await expectThrows('too short', KernelShapeError, () => t.run((rec) => recordUnary(rec, 'silu', A, O, 11)));
          const gated = { out: O, y: A, gate: A, gateOffset: 0, gateStride: 5, rows: 2, cols: 5, rowsPerBatch: 1 };
          await expectThrows('gate too short', KernelShapeError, () => t.run((rec) => recordGatedAcc(rec, { ...gated, gateOffset: 1 })));
          await expectThrows('gated out aliases y', KernelShapeError, () => t.run((rec) => recordGatedAcc(rec, { ...gated, y: O })));
        }),
    });
    return cases;
  },
};
