import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordRmsNorm } from '../../src/kernels/rmsnorm';
import { rmsNormRef } from '../../src/kernels/reference/rmsnorm';
import { expectClose, expectThrows, MismatchError, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

// One f32 sum of C squares and one rsqrt per row.
const TOL = { atol: 1e-5, rtol: 1e-5 };

export const suite: KernelSuite = {
  name: 'rmsnorm',
  tolerance: 'atol 1e-5 + rtol 1e-5 (f32 sum of squares over C ≤ 4096)',
  cases(rng) {
    const cases: KernelCase[] = [];
    const widths = [1, 7, 63, 65, 1001, 1920, 3584, 4096, rng.int(2, 4096) | 1];
    for (const R of ODD_TOKEN_COUNTS) {
      const C = rng.pick(widths);
      const off = rng.int(0, 70);
      cases.push({
        name: `R=${R} C=${C} offsets=${off}`,
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const x = rng.floats(R * C, 3);
            const w = rng.floats(C);
            const X = t.upload(Float32Array.from([...new Float32Array(off).fill(Number.NaN), ...x]));
            const W = t.upload(Float32Array.from([...new Float32Array(off + 3).fill(Number.NaN), ...w]));
            const Y = t.empty(off + R * C);
            await t.run((rec) => recordRmsNorm(rec, { R, C, x: { buffer: X, offset: off }, weight: { buffer: W, offset: off + 3 }, y: { buffer: Y, offset: off }, eps: 1e-6 }));
            expectClose('rmsnorm', await t.readF32(Y, R * C, off), rmsNormRef(x, w, R, C, 1e-6), TOL);
          }),
      });
    }
    cases.push({
      name: 'new R / C compile no new pipeline',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          let before = -1;
          for (const [R, C] of [[3, 64], [169, 1920], [13, 4096]]) {
            const [X, W, Y] = [t.empty(R * C), t.empty(C), t.empty(R * C)];
            await t.run((rec) => recordRmsNorm(rec, { R, C, x: { buffer: X }, weight: { buffer: W }, y: { buffer: Y } }));
            if (before < 0) before = ctx.pipelines.compiled;
          }
          if (ctx.pipelines.compiled !== before) throw new MismatchError(`compiled ${ctx.pipelines.compiled - before} new pipelines`);
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [X, W, Y] = [t.empty(5 * 64), t.empty(64), t.empty(5 * 64)];
          const a = { R: 5, C: 64, x: { buffer: X }, weight: { buffer: W }, y: { buffer: Y } };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('x too small', KernelShapeError, () => recordRmsNorm(rec(), { ...a, R: 6 }));
          await expectThrows('weight too small', KernelShapeError, () => recordRmsNorm(rec(), { ...a, weight: { buffer: W, offset: 1 } }));
          await expectThrows('in place', KernelShapeError, () => recordRmsNorm(rec(), { ...a, y: { buffer: X } }));
          await expectThrows('C = 0', KernelShapeError, () => recordRmsNorm(rec(), { ...a, C: 0 }));
          const tiny = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 512 } };
          await expectThrows('binding over the limit', BufferTooLargeError, () => recordRmsNorm(new Recorder(tiny, 'errors'), a));
        }),
    });
    return cases;
  },
};
