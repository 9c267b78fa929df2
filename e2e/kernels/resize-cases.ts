/** One random resize case (bicubic, bilinear or area) against its CPU reference, shared by the suites. */
import type { GpuContext } from '../../src/gpu/device';
import type { FeatureLayout } from '../../src/kernels/feature-checks';
import { recordResizeArea } from '../../src/kernels/resize_area';
import { recordResizeBicubic } from '../../src/kernels/resize_bicubic';
import { recordResizeBilinear } from '../../src/kernels/resize_bilinear';
import { resizeAreaRef, resizeBicubicRef, resizeBilinearRef } from '../../src/kernels/reference/resize';
import { withBuffers } from './gpu-util';
import { expectClose, type Rng } from './harness';

export const RESIZE_TOL = { atol: 2e-5, rtol: 1e-5 };

export interface ResizeShape {
  B: number;
  C: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  layout: FeatureLayout;
  accumulate: boolean;
}

export const shapeName = (s: ResizeShape): string =>
  `B=${s.B} C=${s.C} ${s.inH}×${s.inW}→${s.outH}×${s.outW} ${s.layout}${s.accumulate ? ' accumulate' : ''}`;

export async function resizeCase(ctx: GpuContext, rng: Rng, kind: 'bicubic' | 'bilinear' | 'area', s: ResizeShape): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const { B, C, inH, inW, outH, outW, layout } = s;
    const x = rng.floats(B * C * inH * inW);
    const n = B * C * outH * outW;
    // Without accumulate, out starts as garbage: a kernel that wrongly adds to it must fail.
    const prior = rng.floats(n, s.accumulate ? 1 : 100);
    const [X, O] = [t.upload(x), t.upload(prior)];
    const record = { bicubic: recordResizeBicubic, bilinear: recordResizeBilinear, area: recordResizeArea }[kind];
    await t.run((rec) => record(rec, { x: X, out: O, B, C, inH, inW, outH, outW, layout, accumulate: s.accumulate }));
    const ref = { bicubic: resizeBicubicRef, bilinear: resizeBilinearRef, area: resizeAreaRef }[kind](x, B, C, inH, inW, outH, outW, layout);
    if (s.accumulate) for (let i = 0; i < n; i++) ref[i] += prior[i];
    expectClose(`${kind} ${shapeName(s)}`, await t.readF32(O, n), ref, RESIZE_TOL);
  });
}

/** Random shapes: up and down, odd sizes, both layouts, with and without accumulate. */
export function randomResizeShapes(rng: Rng, count: number): ResizeShape[] {
  const sizes = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 7, 31];
  const shapes: ResizeShape[] = [];
  for (let i = 0; i < count; i++) {
    shapes.push({
      B: rng.int(1, 2),
      C: rng.pick([1, 3, 5, 13, rng.int(1, 40)]),
      inH: rng.pick(sizes),
      inW: rng.pick(sizes),
      outH: rng.pick(sizes),
      outW: rng.pick(sizes),
      layout: rng.pick(['nchw', 'tokens'] as const),
      accumulate: rng.next() < 0.5,
    });
  }
  return shapes;
}
