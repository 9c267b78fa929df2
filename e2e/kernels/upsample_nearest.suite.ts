import type { GpuContext } from '../../src/gpu/device';
import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { recordDepthToSpace, recordUpsampleNearest } from '../../src/kernels/upsample_nearest';
import { depthToSpaceRef, upsampleNearestRef } from '../../src/kernels/reference/upsample_nearest';
import { withBuffers } from './gpu-util';
import { expectEqual, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { expectPipelineCount, SCALES, tinyLimitRecorder } from './feature-util';

async function upCase(ctx: GpuContext, rng: Rng, mode: 'nearest' | 'd2s', B: number, C: number, H: number, W: number, r: number): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const cin = mode === 'd2s' ? C * r * r : C;
    const x = rng.floats(B * cin * H * W);
    const n = B * C * H * r * W * r;
    const [X, O] = [t.upload(x), t.empty(n)];
    await t.run((rec) => (mode === 'd2s' ? recordDepthToSpace(rec, { x: X, out: O, B, C, H, W, r }) : recordUpsampleNearest(rec, { x: X, out: O, B, C, H, W, factor: r })));
    const want = mode === 'd2s' ? depthToSpaceRef(x, B, C, H, W, r) : upsampleNearestRef(x, B, C, H, W, r);
    expectEqual(`${mode} B=${B} C=${C} ${H}×${W} r=${r}`, await t.readF32(O, n), want);
  });
}

export const suite: KernelSuite = {
  name: 'upsample_nearest',
  tolerance: 'exact (bitwise equal: pure data movement)',
  cases(rng) {
    const cases: KernelCase[] = [];
    const add = (mode: 'nearest' | 'd2s', B: number, C: number, H: number, W: number, r: number) =>
      cases.push({ name: `${mode} B=${B} C=${C} ${H}×${W} r=${r}`, run: (ctx) => upCase(ctx, rng, mode, B, C, H, W, r) });
    for (const n of ODD_TOKEN_COUNTS) add('nearest', rng.int(1, 2), rng.pick([1, 3, 5, 13]), n === 169 ? 13 : 1, n === 169 ? 13 : n, 2);
    for (const pn of SCALES) add('nearest', 1, rng.int(1, 20), pn, pn, 2);
    add('nearest', 1, 16, 32, 32, 2); // decoder-like: 32² → 64²
    add('nearest', 2, 3, 5, 7, 3);
    for (const r of [1, 2, 3, 4]) add('d2s', rng.int(1, 2), rng.pick([1, 3, 5]), rng.pick(SCALES), rng.pick(SCALES), r);
    cases.push({
      name: 'one pipeline per mode across sizes',
      run: (ctx) =>
        expectPipelineCount(ctx, 'upsample_nearest', 0, async () => {
          for (const pn of SCALES) await upCase(ctx, rng, 'nearest', 1, 3, pn, pn, 2);
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, out] = [t.empty(4 * 8 * 8), t.empty(4 * 16 * 16)];
          const a = { x, out, B: 1, C: 4, H: 8, W: 8 };
          await expectThrows('out too short', KernelShapeError, () => t.run((r) => recordUpsampleNearest(r, { ...a, factor: 3 })));
          await expectThrows('d2s x too short', KernelShapeError, () => t.run((r) => recordDepthToSpace(r, { ...a, r: 2 })));
          await expectThrows('r = 0', KernelShapeError, () => t.run((r) => recordDepthToSpace(r, { ...a, r: 0 })));
          await expectThrows('in place', KernelShapeError, () => t.run((r) => recordUpsampleNearest(r, { ...a, out: x, H: 4, W: 4 })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordUpsampleNearest(tinyLimitRecorder(ctx, 1024), a));
        }),
    });
    return cases;
  },
};
