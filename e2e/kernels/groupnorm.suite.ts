import type { GpuContext } from '../../src/gpu/device';
import { BufferTooLargeError, KernelShapeError, UnsupportedDtypeError } from '../../src/api/errors';
import { recordGroupNorm } from '../../src/kernels/groupnorm';
import { groupNormRef } from '../../src/kernels/reference/groupnorm';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { expectPipelineCount, packF16, SCALES, tinyLimitRecorder } from './feature-util';

const TOL = { atol: 1e-4, rtol: 1e-4 };

interface GnShape {
  B: number;
  C: number;
  H: number;
  W: number;
  G: number;
  affine: boolean;
  dtype: 'f32' | 'f16';
  silu: boolean;
  eps: number;
  /** Added to x: a large mean tests that the variance does not cancel. */
  shift: number;
}

const gnName = (s: GnShape) =>
  `B=${s.B} C=${s.C} ${s.H}×${s.W} G=${s.G}${s.affine ? ` affine ${s.dtype}` : ''}${s.silu ? ' silu' : ''} eps=${s.eps}${s.shift ? ` mean≈${s.shift}` : ''}`;

async function gnCase(ctx: GpuContext, rng: Rng, s: GnShape): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const { B, C, H, W, G } = s;
    const n = B * C * H * W;
    const x = rng.floats(n);
    if (s.shift) for (let i = 0; i < n; i++) x[i] += s.shift;
    const wOff = rng.int(0, 5);
    const bOff = rng.int(0, 5);
    let weight: ArrayLike<number> = Float32Array.from(rng.floats(C), (v) => 1 + 0.5 * v);
    let bias: ArrayLike<number> = rng.floats(C);
    let Wb: GPUBuffer | undefined;
    let Bb: GPUBuffer | undefined;
    if (s.affine) {
      if (s.dtype === 'f16') {
        const pw = packF16(weight, wOff);
        const pb = packF16(bias, bOff);
        [Wb, Bb, weight, bias] = [t.upload(pw.words), t.upload(pb.words), pw.decoded, pb.decoded];
      } else {
        const wb = new Float32Array(wOff + C);
        wb.set(weight as Float32Array, wOff);
        const bb = new Float32Array(bOff + C);
        bb.set(bias as Float32Array, bOff);
        [Wb, Bb] = [t.upload(wb), t.upload(bb)];
      }
    }
    const [X, O] = [t.upload(x), t.empty(n)];
    await t.run((rec) =>
      recordGroupNorm(rec, { x: X, out: O, weight: Wb, weightOffset: wOff, bias: Bb, biasOffset: bOff, dtype: s.dtype, B, C, H, W, groups: G, eps: s.eps, silu: s.silu }),
    );
    const want = groupNormRef(x, B, C, H * W, G, s.eps, s.affine ? weight : undefined, s.affine ? bias : undefined, s.silu);
    expectClose(`groupnorm ${gnName(s)}`, await t.readF32(O, n), want, TOL);
  });
}

function shape(rng: Rng, over: Partial<GnShape>): GnShape {
  const G = rng.pick([1, 2, 4, 32]);
  return {
    B: rng.int(1, 2),
    C: G * rng.pick([1, 2, 3, 5]),
    H: rng.pick(SCALES),
    W: rng.pick(SCALES),
    G,
    affine: rng.next() < 0.7,
    dtype: rng.pick(['f32', 'f16'] as const),
    silu: rng.next() < 0.5,
    eps: rng.pick([1e-5, 1e-6]),
    shift: 0,
    ...over,
  };
}

export const suite: KernelSuite = {
  name: 'groupnorm',
  tolerance: 'atol 1e-4 + rtol 1e-4 against a two-pass float64 reference (outputs are O(1))',
  cases(rng) {
    const cases: KernelCase[] = [];
    const add = (s: GnShape, prefix = '') => cases.push({ name: `${prefix}${gnName(s)}`, run: (ctx) => gnCase(ctx, rng, s) });
    for (const n of ODD_TOKEN_COUNTS) add(shape(rng, n === 169 ? { H: 13, W: 13 } : { H: 1, W: n }), `${n} pixels: `);
    for (let i = 0; i < 6; i++) add(shape(rng, {}), 'random: ');
    for (const affine of [false, true]) for (const silu of [false, true]) add(shape(rng, { affine, silu, dtype: 'f32' }), 'options: ');
    // VAR decoder: 32 groups, eps 1e-6, affine, then SiLU; channels 160 (5 per group) and 640.
    add(shape(rng, { B: 1, C: 160, H: 32, W: 32, G: 32, affine: true, silu: true, eps: 1e-6, dtype: 'f16' }), 'VAR decoder: ');
    add(shape(rng, { B: 1, C: 640, H: 16, W: 16, G: 32, affine: true, silu: false, eps: 1e-6, dtype: 'f32' }), 'VAR decoder: ');
    add(shape(rng, { B: 1, C: 32, H: 256, W: 256, G: 32, affine: true, silu: true, eps: 1e-6, dtype: 'f32', shift: 100 }), '256×256, large mean: ');
    cases.push({
      name: 'one pipeline across sizes and group counts',
      run: (ctx) =>
        expectPipelineCount(ctx, 'groupnorm', 1, async () => {
          for (const pn of SCALES) await gnCase(ctx, rng, shape(rng, { H: pn, W: pn, affine: true, dtype: 'f32', silu: true }));
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, out, w, b] = [t.empty(2 * 64 * 9), t.empty(2 * 64 * 9), t.empty(64), t.empty(64)];
          const a = { x, out, weight: w, bias: b, B: 2, C: 64, H: 3, W: 3, groups: 32 };
          await expectThrows('C % G', KernelShapeError, () => t.run((r) => recordGroupNorm(r, { ...a, groups: 24 })));
          await expectThrows('in place', KernelShapeError, () => t.run((r) => recordGroupNorm(r, { ...a, out: x })));
          await expectThrows('weight without bias', KernelShapeError, () => t.run((r) => recordGroupNorm(r, { ...a, bias: undefined })));
          await expectThrows('weight too short', KernelShapeError, () => t.run((r) => recordGroupNorm(r, { ...a, weightOffset: 1 })));
          await expectThrows('x too short', KernelShapeError, () => t.run((r) => recordGroupNorm(r, { ...a, H: 4 })));
          await expectThrows('bf16', UnsupportedDtypeError, () => t.run((r) => recordGroupNorm(r, { ...a, dtype: 'bf16' as never })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordGroupNorm(tinyLimitRecorder(ctx, 1024), a));
        }),
    });
    return cases;
  },
};
