import { BufferTooLargeError, KernelShapeError } from '../../src/api/errors';
import { recordCodebookGather } from '../../src/kernels/codebook_gather';
import { codebookGatherRef } from '../../src/kernels/reference/codebook_gather';
import { withBuffers } from './gpu-util';
import { expectEqual, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { expectPipelineCount, SCALES, tinyLimitRecorder } from './feature-util';
import type { GpuContext } from '../../src/gpu/device';

type Layout = 'nchw' | 'tokens';

/** Gathers one [B, h, w] code map and compares bit for bit (a gather does no arithmetic). */
async function gatherCase(ctx: GpuContext, rng: Rng, B: number, h: number, w: number, V: number, C: number, layout: Layout, badCodes = false): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const HW = h * w;
    const codeOff = rng.int(0, 40);
    const cbOff = rng.int(0, 40);
    const stride = HW + (rng.next() < 0.5 ? 0 : rng.int(1, 7)); // [B, L] rows with other scales' codes between
    const codes = new Uint32Array(codeOff + (B - 1) * stride + HW);
    for (let i = 0; i < codes.length; i++) codes[i] = rng.int(0, V - 1);
    if (badCodes) for (let i = codeOff; i < codes.length; i += 2) codes[i] = V + rng.int(0, 1000); // must clamp
    const cb = rng.floats(cbOff + V * C);
    const [Cd, Cb, O] = [t.upload(codes), t.upload(cb), t.empty(B * HW * C)];
    await t.run((rec) =>
      recordCodebookGather(rec, { codes: Cd, codesOffset: codeOff, codesStride: stride, codebook: Cb, codebookOffset: cbOff, out: O, B, h, w, V, C, layout }),
    );
    const want = codebookGatherRef(codes.subarray(codeOff), cb.subarray(cbOff), B, HW, V, C, layout, stride);
    expectEqual(`gather ${layout}`, await t.readF32(O, B * HW * C), want);
  });
}

export const suite: KernelSuite = {
  name: 'codebook_gather',
  tolerance: 'exact (bitwise equal: a gather does no arithmetic)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const pn of SCALES) {
      const layout: Layout = rng.pick(['nchw', 'tokens'] as const);
      const B = rng.int(1, 2);
      cases.push({ name: `VAR scale ${pn}×${pn} B=${B} V=4096 C=32 ${layout}`, run: (ctx) => gatherCase(ctx, rng, B, pn, pn, 4096, 32, layout) });
    }
    for (const n of ODD_TOKEN_COUNTS) {
      for (const layout of ['nchw', 'tokens'] as const) {
        const [V, C] = [rng.int(1, 300), rng.int(1, 41)];
        cases.push({ name: `tokens=${n} (1×${n}) V=${V} C=${C} ${layout}`, run: (ctx) => gatherCase(ctx, rng, rng.int(1, 3), 1, n, V, C, layout) });
      }
    }
    cases.push({ name: 'codes ≥ V clamp to V−1 (nchw)', run: (ctx) => gatherCase(ctx, rng, 2, 5, 3, 17, 7, 'nchw', true) });
    cases.push({ name: 'codes ≥ V clamp to V−1 (tokens)', run: (ctx) => gatherCase(ctx, rng, 1, 13, 13, 9, 8, 'tokens', true) });
    cases.push({
      name: 'one pipeline per layout across all scale sizes',
      run: (ctx) =>
        expectPipelineCount(ctx, 'codebook_gather', 0, async () => {
          for (const pn of SCALES) await gatherCase(ctx, rng, 1, pn, pn, 64, 5, 'nchw');
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const codes = t.upload(new Uint32Array(16));
          const cb = t.empty(10 * 4);
          const out = t.empty(16 * 4);
          const args = { codes, codebook: cb, out, B: 1, h: 4, w: 4, V: 10, C: 4 };
          await expectThrows('codes too short', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, codesOffset: 1 })));
          await expectThrows('codebook too short', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, V: 11 })));
          await expectThrows('out too short', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, C: 5, V: 8 })));
          await expectThrows('stride < h·w', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, codesStride: 15 })));
          await expectThrows('zero dim', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, h: 0 })));
          await expectThrows('out aliases codebook', KernelShapeError, () => t.run((r) => recordCodebookGather(r, { ...args, out: cb, C: 1 })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordCodebookGather(tinyLimitRecorder(ctx, 32), args));
        }),
    });
    return cases;
  },
};
