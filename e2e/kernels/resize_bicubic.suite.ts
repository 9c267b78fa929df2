import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { recordResizeBicubic } from '../../src/kernels/resize_bicubic';
import { resizeBicubicRef } from '../../src/kernels/reference/resize';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { expectPipelineCount, SCALES, tinyLimitRecorder } from './feature-util';
import { randomResizeShapes, resizeCase, shapeName, RESIZE_TOL } from './resize-cases';

// F.interpolate(torch.tensor([[[[1.,2.],[3.,4.]]]]), size=(4,4), mode='bicubic', align_corners=False)[0,0,0]
const TORCH_2x2_TO_4x4_ROW0 = [0.68359375, 1.015625, 1.5625, 1.89453125];

export const suite: KernelSuite = {
  name: 'resize_bicubic',
  tolerance: 'atol 2e-5 + rtol 1e-5 against a float64 reference (f32 weights and sums of 16 taps)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const pn of SCALES) {
      const s = { B: rng.int(1, 2), C: 32, inH: pn, inW: pn, outH: 16, outW: 16, layout: 'nchw' as const, accumulate: false };
      cases.push({ name: `VAR h ${pn}×${pn} → 16×16: ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'bicubic', s) });
    }
    for (const n of ODD_TOKEN_COUNTS) {
      const s = { B: 1, C: rng.int(1, 9), inH: 1, inW: rng.int(1, 20), outH: 1, outW: n, layout: rng.pick(['nchw', 'tokens'] as const), accumulate: rng.next() < 0.5 };
      cases.push({ name: `odd ${n} outputs: ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'bicubic', s) });
    }
    for (const s of randomResizeShapes(rng, 12)) cases.push({ name: `random ${shapeName(s)}`, run: (ctx) => resizeCase(ctx, rng, 'bicubic', s) });
    cases.push({
      name: 'PyTorch golden 2×2 → 4×4',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const x = new Float32Array([1, 2, 3, 4]);
          expectClose('reference vs torch', resizeBicubicRef(x, 1, 1, 2, 2, 4, 4).slice(0, 4), TORCH_2x2_TO_4x4_ROW0, { atol: 1e-12 });
          const [X, O] = [t.upload(x), t.empty(16)];
          await t.run((rec) => recordResizeBicubic(rec, { x: X, out: O, B: 1, C: 1, inH: 2, inW: 2, outH: 4, outW: 4 }));
          expectClose('gpu vs torch', (await t.readF32(O, 16)).slice(0, 4), TORCH_2x2_TO_4x4_ROW0, RESIZE_TOL);
        }),
    });
    cases.push({
      name: 'one pipeline across all scale sizes',
      run: (ctx) =>
        expectPipelineCount(ctx, 'resize_bicubic', 0, async () => {
          for (const pn of SCALES) await resizeCase(ctx, rng, 'bicubic', { B: 1, C: 32, inH: pn, inW: pn, outH: 16, outW: 16, layout: 'nchw', accumulate: false });
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, out] = [t.empty(2 * 3 * 4 * 4), t.empty(2 * 3 * 8 * 8)];
          const a = { x, out, B: 2, C: 3, inH: 4, inW: 4, outH: 8, outW: 8 };
          await expectThrows('x too short', KernelShapeError, () => t.run((r) => recordResizeBicubic(r, { ...a, inH: 5 })));
          await expectThrows('out too short', KernelShapeError, () => t.run((r) => recordResizeBicubic(r, { ...a, outW: 9 })));
          await expectThrows('in place', KernelShapeError, () => t.run((r) => recordResizeBicubic(r, { ...a, out: x, outH: 4, outW: 4 })));
          await expectThrows('bad layout', KernelShapeError, () => t.run((r) => recordResizeBicubic(r, { ...a, layout: 'nhwc' as never })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordResizeBicubic(tinyLimitRecorder(ctx, 256), a));
        }),
    });
    return cases;
  },
};
