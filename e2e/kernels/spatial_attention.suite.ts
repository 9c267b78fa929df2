import { KernelShapeError } from '../../src/api/errors';
import { recordSpatialAttention } from '../../src/kernels/spatial_attention';
import { spatialAttentionRef } from '../../src/kernels/reference/spatial_attention';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, type KernelCase, type KernelSuite, type Rng } from './harness';
import type { GpuContext } from '../../src/gpu/device';

const TOL = { atol: 1e-4, rtol: 1e-4 };

/**
 * The tolerance for inputs drawn from ±spread. Each score is a C-term f32 dot product of terms up to
 * spread², so it carries a rounding error of about C·spread²·2⁻²³·scale; exp turns that into the same
 * relative error on each weight, and the output, a convex combination of v in ±spread, moves by up to
 * that error times 2·spread. At spread 1 this is far below TOL; at spread 6 (C=32) it is ~3e-4, above
 * TOL's atol (CI once saw an error of 1.4e-4 there; 400 draws reached 1.32× TOL). So the bound, with
 * a factor 4 of headroom, is added to TOL's atol: the worst of those 400 draws then uses 14 % of it.
 */
function tolerance(C: number, spread: number): { atol: number; rtol: number } {
  const scoreErr = C * spread * spread * 2 ** -23 / Math.sqrt(C);
  return { atol: TOL.atol + 4 * scoreErr * 2 * spread, rtol: TOL.rtol };
}

async function attnCase(ctx: GpuContext, rng: Rng, C: number, HW: number, spread = 1): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const qkvOff = rng.int(0, 30);
    const outOff = rng.int(0, 30);
    const qkv = rng.floats(qkvOff + 3 * C * HW, spread);
    const [Q, Pr, O] = [t.upload(qkv), t.empty(HW * HW), t.upload(new Float32Array(outOff + C * HW).fill(7))];
    await t.run((rec) => recordSpatialAttention(rec, { qkv: Q, qkvOffset: qkvOff, prob: Pr, out: O, outOffset: outOff, C, HW }));
    const got = await t.readF32(O, outOff + C * HW);
    for (let i = 0; i < outOff; i++) if (got[i] !== 7) throw new Error(`wrote before outOffset at ${i}`);
    expectClose('out', got.subarray(outOff), spatialAttentionRef(qkv.subarray(qkvOff), C, HW), tolerance(C, spread));
  });
}

export const suite: KernelSuite = {
  name: 'spatial_attention',
  tolerance: `atol ${TOL.atol} (plus the score-rounding bound for peaked inputs), rtol ${TOL.rtol} against a float64 reference`,
  cases(rng) {
    const cases: KernelCase[] = [];
    cases.push({ name: 'VAR VAE mid block C=640 at 4×4', run: (ctx) => attnCase(ctx, rng, 640, 16) });
    cases.push({ name: 'reduced VAE C=128 at 16×16', run: (ctx) => attnCase(ctx, rng, 128, 256) });
    for (let i = 0; i < 6; i++) {
      const [C, HW] = [rng.int(1, 70), rng.int(1, 90)];
      cases.push({ name: `random C=${C} HW=${HW}`, run: (ctx) => attnCase(ctx, rng, C, HW) });
    }
    cases.push({ name: 'peaked scores (large q·k) stay finite', run: (ctx) => attnCase(ctx, rng, 32, 49, 6) });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const qkv = t.empty(3 * 4 * 9);
          const prob = t.empty(81);
          const out = t.empty(4 * 9);
          const args = { qkv, prob, out, C: 4, HW: 9 };
          await expectThrows('qkv too short', KernelShapeError, () => t.run((x) => recordSpatialAttention(x, { ...args, qkvOffset: 1 })));
          await expectThrows('prob too short', KernelShapeError, () => t.run((x) => recordSpatialAttention(x, { ...args, prob: t.empty(80) })));
          await expectThrows('out too short', KernelShapeError, () => t.run((x) => recordSpatialAttention(x, { ...args, outOffset: 1 })));
          await expectThrows('zero C', KernelShapeError, () => t.run((x) => recordSpatialAttention(x, { ...args, C: 0 })));
          await expectThrows('out aliases qkv', KernelShapeError, () => t.run((x) => recordSpatialAttention(x, { ...args, out: qkv })));
        }),
    });
    return cases;
  },
};
