import { KernelShapeError } from '../../src/api/errors';
import { recordCodebookNearest } from '../../src/kernels/codebook_nearest';
import { codebookNearestRef } from '../../src/kernels/reference/codebook_nearest';
import { withBuffers } from './gpu-util';
import { expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import type { GpuContext } from '../../src/gpu/device';

/** Cells whose best and second-best distances are this close may flip under f32 rounding. */
const NEAR_TIE = 1e-4;

async function nearestCase(ctx: GpuContext, rng: Rng, HW: number, C: number, V: number, dupRows = false): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const rOff = rng.int(0, 30);
    const cbOff = rng.int(0, 30);
    const outOff = rng.int(0, 30);
    const r = rng.floats(rOff + C * HW);
    const cb = rng.floats(cbOff + V * C, 0.5);
    // Duplicated rows make exact ties: the lowest index must win.
    if (dupRows) for (let k = 1; k < V; k += 3) cb.copyWithin(cbOff + k * C, cbOff + (k - 1) * C, cbOff + k * C);
    const [R, E, O] = [t.upload(r), t.upload(cb), t.upload(new Uint32Array(outOff + HW).fill(0xdead))];
    await t.run((rec) => recordCodebookNearest(rec, { r: R, rOffset: rOff, codebook: E, codebookOffset: cbOff, codes: O, outOffset: outOff, HW, C, V }));
    const got = await t.readU32(O, outOff + HW);
    const want = codebookNearestRef(r.subarray(rOff), cb.subarray(cbOff), HW, C, V);
    for (let i = 0; i < outOff; i++) if (got[i] !== 0xdead) throw new Error(`wrote before outOffset at ${i}`);
    let bad = 0;
    for (let p = 0; p < HW; p++) {
      const g = got[outOff + p];
      if (g === want.codes[p]) continue;
      if (want.gap[p] < NEAR_TIE && !dupRows) continue;
      bad++;
      if (bad === 1) console.error(`cell ${p}: got ${g}, want ${want.codes[p]} (gap ${want.gap[p]})`);
    }
    if (bad) throw new Error(`${bad}/${HW} cells picked another codebook row`);
  });
}

export const suite: KernelSuite = {
  name: 'codebook_nearest',
  tolerance: `exact index (a cell may differ only when its two best distances are within ${NEAR_TIE})`,
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const pn of [1, 2, 3, 4, 6, 8]) {
      cases.push({ name: `default model scale ${pn}×${pn} V=512 C=32`, run: (ctx) => nearestCase(ctx, rng, pn * pn, 32, 512) });
    }
    for (const n of ODD_TOKEN_COUNTS) {
      const [V, C] = [rng.int(1, 300), rng.int(1, 41)];
      cases.push({ name: `cells=${n} V=${V} C=${C}`, run: (ctx) => nearestCase(ctx, rng, n, C, V) });
    }
    cases.push({ name: 'VAR-sized V=4096 C=32, 16×16', run: (ctx) => nearestCase(ctx, rng, 256, 32, 4096) });
    cases.push({ name: 'exact ties pick the lowest index', run: (ctx) => nearestCase(ctx, rng, 37, 8, 90, true) });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const r = t.empty(4 * 9);
          const cb = t.empty(10 * 4);
          const codes = t.empty(9);
          const args = { r, codebook: cb, codes, HW: 9, C: 4, V: 10 };
          await expectThrows('r too short', KernelShapeError, () => t.run((x) => recordCodebookNearest(x, { ...args, rOffset: 1 })));
          await expectThrows('codebook too short', KernelShapeError, () => t.run((x) => recordCodebookNearest(x, { ...args, V: 11 })));
          await expectThrows('codes too short', KernelShapeError, () => t.run((x) => recordCodebookNearest(x, { ...args, outOffset: 1 })));
          await expectThrows('zero dim', KernelShapeError, () => t.run((x) => recordCodebookNearest(x, { ...args, C: 0 })));
          await expectThrows('codes alias r', KernelShapeError, () => t.run((x) => recordCodebookNearest(x, { ...args, codes: r })));
        }),
    });
    return cases;
  },
};
