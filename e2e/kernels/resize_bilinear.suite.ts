import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { recordResizeBilinear } from '../../src/kernels/resize_bilinear';
import { resizeBilinearRef } from '../../src/kernels/reference/resize';
import { infinitySchedule } from '../../src/models/infinity/schedule';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite } from './harness';
import { tinyLimitRecorder } from './feature-util';
import { randomResizeShapes, resizeCase, shapeName, RESIZE_TOL } from './resize-cases';

// F.interpolate(torch.tensor([[[[1., 2., 5.], [3., 4., 0.]]]]), size=(4, 5), mode='bilinear', align_corners=False)[0, 0]:
// up in both axes, with the source clamped at the border.
const TORCH_2x3_TO_4x5 = [
  [1.0, 1.4000000953674316, 2.000000238418579, 3.8000001907348633, 5.0],
  [1.5, 1.899999976158142, 2.5, 3.25, 3.75],
  [2.5, 2.9000000953674316, 3.499999761581421, 2.1499998569488525, 1.25],
  [3.0, 3.4000000953674316, 3.999999761581421, 1.5999996662139893, 0.0],
].flat();

export const suite: KernelSuite = {
  name: 'resize_bilinear',
  tolerance: 'atol 2e-5 + rtol 1e-5 against a float64 reference (f32 weights and sums of 4 taps)',
  cases(rng) {
    const cases: KernelCase[] = [];
    // Infinity's two uses on a random official schedule: codes up into f̂ (accumulate), f̂ down to the next tokens.
    const s = infinitySchedule(rng.pick([1, 0.5, 1.333, 2.5]), 256);
    const [H, W] = s.scales[s.scales.length - 1];
    const k = rng.int(0, s.scales.length - 2);
    const [h, w] = s.scales[k];
    const [h2, w2] = s.scales[k + 1];
    cases.push({ name: `Infinity codes ${h}×${w} → f̂ ${H}×${W}`, run: (ctx) => resizeCase(ctx, rng, 'bilinear', { B: 1, C: 32, inH: h, inW: w, outH: H, outW: W, layout: 'nchw', accumulate: true }) });
    cases.push({ name: `Infinity f̂ ${H}×${W} → next input ${h2}×${w2} tokens`, run: (ctx) => resizeCase(ctx, rng, 'bilinear', { B: 1, C: 32, inH: H, inW: W, outH: h2, outW: w2, layout: 'tokens', accumulate: false }) });
    for (const n of ODD_TOKEN_COUNTS) {
      const r = { B: 1, C: rng.int(1, 9), inH: rng.int(1, 5), inW: rng.int(1, 20), outH: 1, outW: n, layout: rng.pick(['nchw', 'tokens'] as const), accumulate: rng.next() < 0.5 };
      cases.push({ name: `odd ${n} outputs: ${shapeName(r)}`, run: (ctx) => resizeCase(ctx, rng, 'bilinear', r) });
    }
    for (const r of randomResizeShapes(rng, 10)) cases.push({ name: `random ${shapeName(r)}`, run: (ctx) => resizeCase(ctx, rng, 'bilinear', r) });
    cases.push({
      name: 'PyTorch golden 2×3 → 4×5',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const x = new Float32Array([1, 2, 5, 3, 4, 0]);
          expectClose('reference vs torch', resizeBilinearRef(x, 1, 1, 2, 3, 4, 5), TORCH_2x3_TO_4x5, { atol: 1e-6 });
          const [X, O] = [t.upload(x), t.empty(20)];
          await t.run((rec) => recordResizeBilinear(rec, { x: X, out: O, B: 1, C: 1, inH: 2, inW: 3, outH: 4, outW: 5 }));
          expectClose('gpu vs torch', await t.readF32(O, 20), TORCH_2x3_TO_4x5, RESIZE_TOL);
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, out] = [t.empty(2 * 3 * 4 * 4), t.empty(2 * 3 * 8 * 8)];
          const a = { x, out, B: 2, C: 3, inH: 4, inW: 4, outH: 8, outW: 8 };
          await expectThrows('x too short', KernelShapeError, () => t.run((r) => recordResizeBilinear(r, { ...a, inH: 5 })));
          await expectThrows('in place', KernelShapeError, () => t.run((r) => recordResizeBilinear(r, { ...a, out: x, outH: 4, outW: 4 })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordResizeBilinear(tinyLimitRecorder(ctx, 256), a));
        }),
    });
    return cases;
  },
};
