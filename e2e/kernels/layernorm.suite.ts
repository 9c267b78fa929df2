import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordLayerNorm } from '../../src/kernels/layernorm';
import { layerNormRef } from '../../src/kernels/reference/layernorm';
import { expectClose, expectThrows, MismatchError, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

// Two f32 row sums (mean, then variance around it) and one rsqrt per row; rows have |mean| up to 10·σ.
const TOL = { atol: 2e-5, rtol: 2e-5 };

export const suite: KernelSuite = {
  name: 'layernorm',
  tolerance: 'atol 2e-5 + rtol 2e-5 (f32 two-pass mean/variance over C ≤ 4096)',
  cases(rng) {
    const cases: KernelCase[] = [];
    const widths = [1, 3, 63, 65, 1001, 1920, 4096, rng.int(2, 4096) | 1];
    for (const R of ODD_TOKEN_COUNTS) {
      for (const modulated of [true, false]) {
        const C = rng.pick(widths);
        const B = modulated ? rng.int(1, 3) : 1;
        const rowsPerBatch = Math.ceil(R / B);
        const chunk = rng.int(0, 1); // VAR's ada_lin [B, 6C]: attention branch (s1 at 2C, b1 at 4C) or FFN (3C, 5C)
        cases.push({
          name: `R=${R} C=${C}${modulated ? ` adaln B=${B} rows/batch=${rowsPerBatch} chunk=${chunk}` : ' plain'}`,
          run: (ctx) =>
            withBuffers(ctx, async (t) => {
              const x = rng.floats(R * C, 2);
              for (let r = 0; r < R; r++) { const mu = rng.normal() * 20; for (let c = 0; c < C; c++) x[r * C + c] += mu; }
              const ada = rng.floats(B * 6 * C, 0.5);
              const mod = { data: ada, scaleOffset: (2 + chunk) * C, shiftOffset: (4 + chunk) * C, stride: 6 * C, rowsPerBatch };
              const [X, A, Y] = [t.upload(x), t.upload(ada), t.empty(R * C)];
              await t.run((rec) =>
                recordLayerNorm(rec, { R, C, x: { buffer: X }, y: { buffer: Y }, modulation: modulated ? { ...mod, buffer: A } : undefined }),
              );
              expectClose('layernorm', await t.readF32(Y, R * C), layerNormRef(x, R, C, modulated ? mod : undefined, 1e-6), TOL);
            }),
        });
      }
    }
    cases.push({
      name: 'new R / C compile no new pipeline',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          let before = -1;
          for (const [R, C] of [[3, 64], [169, 1920], [13, 4096]]) {
            const [X, A, Y] = [t.empty(R * C), t.empty(12 * C), t.empty(R * C)];
            await t.run((rec) => recordLayerNorm(rec, { R, C, x: { buffer: X }, y: { buffer: Y }, modulation: { buffer: A, scaleOffset: 2 * C, shiftOffset: 4 * C, stride: 6 * C, rowsPerBatch: R } }));
            if (before < 0) before = ctx.pipelines.compiled;
          }
          if (ctx.pipelines.compiled !== before) throw new MismatchError(`compiled ${ctx.pipelines.compiled - before} new pipelines`);
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const C = 64;
          const [X, A, Y] = [t.empty(5 * C), t.empty(6 * C), t.empty(5 * C)];
          const mod = { buffer: A, scaleOffset: 2 * C, shiftOffset: 4 * C, stride: 6 * C, rowsPerBatch: 5 };
          const a = { R: 5, C, x: { buffer: X }, y: { buffer: Y }, modulation: mod };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('x too small', KernelShapeError, () => recordLayerNorm(rec(), { ...a, R: 6, modulation: { ...mod, rowsPerBatch: 6 } }));
          await expectThrows('modulation too small for 2 batches', KernelShapeError, () => recordLayerNorm(rec(), { ...a, modulation: { ...mod, rowsPerBatch: 3 } }));
          await expectThrows('rowsPerBatch = 0', KernelShapeError, () => recordLayerNorm(rec(), { ...a, modulation: { ...mod, rowsPerBatch: 0 } }));
          await expectThrows('in place', KernelShapeError, () => recordLayerNorm(rec(), { ...a, y: { buffer: X } }));
          const tiny = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 512 } };
          await expectThrows('binding over the limit', BufferTooLargeError, () => recordLayerNorm(new Recorder(tiny, 'errors'), a));
        }),
    });
    return cases;
  },
};
