import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { recordAvgPool2x2, recordResizeArea } from '../../src/kernels/resize_area';
import { resizeAreaRef } from '../../src/kernels/reference/resize';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { expectPipelineCount, SCALES, tinyLimitRecorder } from './feature-util';
import { randomResizeShapes, resizeCase, shapeName, RESIZE_TOL } from './resize-cases';

export const suite: KernelSuite = {
  name: 'resize_area',
  tolerance: 'atol 2e-5 + rtol 1e-5 against a float64 reference (f32 sums of up to in/out² inputs)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const pn of SCALES) {
      // VAR's next-scale input: area(f_hat 16×16 → pn×pn) flattened row-major to [B, pn², 32].
      const s = { B: rng.int(1, 2), C: 32, inH: 16, inW: 16, outH: pn, outW: pn, layout: 'tokens' as const, accumulate: false };
      cases.push({ name: `VAR f_hat 16×16 → ${pn}×${pn}: ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'area', s) });
    }
    for (const n of ODD_TOKEN_COUNTS) {
      const s = { B: 1, C: rng.int(1, 9), inH: rng.int(1, 4), inW: rng.int(1, 200), outH: 1, outW: n, layout: rng.pick(['nchw', 'tokens'] as const), accumulate: rng.next() < 0.5 };
      cases.push({ name: `odd ${n} outputs: ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'area', s) });
    }
    for (const s of randomResizeShapes(rng, 12)) cases.push({ name: `random ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'area', s) });
    cases.push({
      name: 'overlapping bins 16 → 3 by hand',
      run: async () => {
        // Bins [0,6), [5,11), [10,16): rows 5 and 10 are shared.
        const x = Float32Array.from({ length: 16 }, (_, i) => i);
        expectClose('16→3', resizeAreaRef(x, 1, 1, 1, 16, 1, 3), [2.5, 7.5, 12.5], { atol: 1e-12 });
      },
    });
    cases.push({
      name: 'avg_pool 2×2 = area to half size',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [B, C, H, W] = [2, 5, 6, 10];
          const x = rng.floats(B * C * H * W);
          const [X, O] = [t.upload(x), t.empty(B * C * (H / 2) * (W / 2))];
          await t.run((rec) => recordAvgPool2x2(rec, { x: X, out: O, B, C, H, W }));
          const want = new Float64Array(B * C * (H / 2) * (W / 2));
          for (let bc = 0; bc < B * C; bc++)
            for (let y = 0; y < H / 2; y++)
              for (let xx = 0; xx < W / 2; xx++) {
                const at = (yy: number, xc: number) => x[bc * H * W + yy * W + xc];
                want[bc * (H / 2) * (W / 2) + y * (W / 2) + xx] = (at(2 * y, 2 * xx) + at(2 * y, 2 * xx + 1) + at(2 * y + 1, 2 * xx) + at(2 * y + 1, 2 * xx + 1)) / 4;
              }
          expectClose('avg_pool2x2', await t.readF32(O, want.length), want, RESIZE_TOL);
        }),
    });
    cases.push({
      name: 'one pipeline across all scale sizes',
      run: (ctx) =>
        expectPipelineCount(ctx, 'resize_area', 0, async () => {
          for (const pn of SCALES) await resizeCase(ctx, rng, 'area', { B: 1, C: 32, inH: 16, inW: 16, outH: pn, outW: pn, layout: 'tokens', accumulate: false });
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, out] = [t.empty(2 * 32 * 16 * 16), t.empty(2 * 32 * 13 * 13)];
          const a = { x, out, B: 2, C: 32, inH: 16, inW: 16, outH: 13, outW: 13, layout: 'tokens' as const };
          await expectThrows('x too short', KernelShapeError, () => t.run((r) => recordResizeArea(r, { ...a, B: 3 })));
          await expectThrows('out too short', KernelShapeError, () => t.run((r) => recordResizeArea(r, { ...a, outH: 14 })));
          await expectThrows('fractional size', KernelShapeError, () => t.run((r) => recordResizeArea(r, { ...a, outW: 2.5 })));
          await expectThrows('odd avg_pool', KernelShapeError, () => t.run((r) => recordAvgPool2x2(r, { x, out, B: 1, C: 1, H: 5, W: 4 })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordResizeArea(tinyLimitRecorder(ctx, 4096), a));
        }),
    });
    return cases;
  },
};
