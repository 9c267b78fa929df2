import type { GpuContext } from '../../src/gpu/device';
import { BufferTooLargeError, KernelShapeError, UnsupportedDtypeError } from '../../src/api/errors';
import { recordConv2d } from '../../src/kernels/conv2d';
import { conv2dRef } from '../../src/kernels/reference/conv2d';
import { withBuffers } from './gpu-util';
import { expectClose, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { expectPipelineCount, packF16, SCALES, tinyLimitRecorder } from './feature-util';
import { varSequenceCase } from './var-sequence';

export const CONV_TOL = { atol: 1e-4, rtol: 1e-4 };

export interface ConvShape {
  B: number;
  Cin: number;
  Cout: number;
  H: number;
  W: number;
  ksize: 1 | 3;
  dtype: 'f32' | 'f16';
  bias: boolean;
  skip: boolean;
  accumulate: boolean;
  alpha: number;
  beta: number;
}

const convName = (s: ConvShape): string =>
  `B=${s.B} ${s.Cin}→${s.Cout} ${s.H}×${s.W} k${s.ksize} ${s.dtype}` +
  `${s.bias ? ' bias' : ''}${s.skip ? ` skip β=${s.beta}` : ''}${s.accumulate ? ' accumulate' : ''}${s.alpha !== 1 ? ` α=${s.alpha}` : ''}`;

/** Weights scaled by 1/√K so outputs stay O(1) and one tolerance fits every K. */
export async function convCase(ctx: GpuContext, rng: Rng, s: ConvShape): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const { B, Cin, Cout, H, W, ksize } = s;
    const HW = H * W;
    const nW = Cout * Cin * ksize * ksize;
    const x = rng.floats(B * Cin * HW);
    const wVals = rng.floats(nW, 1 / Math.sqrt(Cin * ksize * ksize));
    const bVals = rng.floats(Cout);
    const wOff = rng.int(0, 9);
    const bOff = rng.int(0, 9);
    let W_: GPUBuffer;
    let B_: GPUBuffer;
    let w: ArrayLike<number> = wVals;
    let bias: ArrayLike<number> = bVals;
    if (s.dtype === 'f16') {
      const pw = packF16(wVals, wOff);
      const pb = packF16(bVals, bOff);
      [W_, B_, w, bias] = [t.upload(pw.words), t.upload(pb.words), pw.decoded, pb.decoded];
    } else {
      const wb = new Float32Array(wOff + nW);
      wb.set(wVals, wOff);
      const bb = new Float32Array(bOff + Cout);
      bb.set(bVals, bOff);
      [W_, B_] = [t.upload(wb), t.upload(bb)];
    }
    const skip = s.skip ? rng.floats(B * Cout * HW) : undefined;
    const prior = s.accumulate ? rng.floats(B * Cout * HW) : undefined;
    const X = t.upload(x);
    const S = skip ? t.upload(skip) : undefined;
    // Without accumulate, out starts as garbage: a kernel that wrongly adds to it must fail.
    const O = t.upload(prior ?? rng.floats(B * Cout * HW, 100));
    await t.run((rec) =>
      recordConv2d(rec, {
        x: X,
        weight: W_,
        weightOffset: wOff,
        dtype: s.dtype,
        bias: s.bias ? B_ : undefined,
        biasOffset: bOff,
        skip: S,
        out: O,
        B,
        Cin,
        Cout,
        H,
        W,
        ksize,
        alpha: s.alpha,
        beta: s.beta,
        accumulate: s.accumulate,
      }),
    );
    const want = conv2dRef({ x, w, bias: s.bias ? bias : undefined, skip, prior, B, Cin, Cout, H, W, ksize, alpha: s.alpha, beta: s.beta });
    expectClose(`conv2d ${convName(s)}`, await t.readF32(O, B * Cout * HW), want, CONV_TOL);
  });
}

/**
 * The epilogues the models use. Each distinct variant costs a pipeline compile (~1 s on
 * SwiftShader), so random cases draw from these instead of from every flag combination.
 */
const PROFILES = {
  plain: { bias: true, skip: false, accumulate: false },
  residual: { bias: true, skip: true, accumulate: false },
  phi: { bias: true, skip: true, accumulate: true },
  accumulate: { bias: true, skip: false, accumulate: true },
  bare: { bias: false, skip: false, accumulate: false },
} as const;
type Profile = keyof typeof PROFILES;

function randomShape(rng: Rng, over: Partial<ConvShape> = {}, profile: Profile = rng.pick(['plain', 'residual', 'phi'] as const)): ConvShape {
  const p = PROFILES[profile];
  return {
    B: rng.int(1, 2),
    Cin: rng.pick([1, 3, 5, 13, 32, rng.int(1, 70)]),
    Cout: rng.pick([3, 5, 13, 17, 32, rng.int(17, 70)]),
    H: rng.pick(SCALES),
    W: rng.pick(SCALES),
    ksize: rng.pick([1, 3] as const),
    dtype: rng.pick(['f32', 'f16'] as const),
    ...p,
    alpha: p.skip ? rng.pick([1, 0.5, -1.25]) : 1,
    beta: rng.pick([1, 0.5, 2]),
    ...over,
  };
}

export const suite: KernelSuite = {
  name: 'conv2d',
  tolerance: 'atol 1e-4 + rtol 1e-4 against float64 (weights ~1/√K so outputs are O(1); f16 weights compared after f16 rounding)',
  cases(rng) {
    const cases: KernelCase[] = [];
    const add = (s: ConvShape, prefix = '') => cases.push({ name: `${prefix}${convName(s)}`, run: (ctx) => convCase(ctx, rng, s) });
    for (const ksize of [1, 3] as const)
      for (const n of ODD_TOKEN_COUNTS) {
        const [H, W] = n === 169 ? [13, 13] : rng.next() < 0.5 ? [1, n] : [n, 1];
        add(randomShape(rng, { ksize, H, W }, ksize === 3 ? rng.pick(['residual', 'phi'] as const) : 'plain'), `${n} pixels: `);
      }
    for (let i = 0; i < 6; i++) add(randomShape(rng), 'random: ');
    // Every epilogue once (bias on/off, skip, accumulate, α, β), spanning several tiles both ways.
    for (const profile of Object.keys(PROFILES) as Profile[])
      add(randomShape(rng, { B: 2, Cin: 19, Cout: 70, H: 10, W: 13, ksize: 3, dtype: 'f32', alpha: 0.75, beta: -0.5 }, profile), `epilogue ${profile}: `);
    // Decoder-like shapes (the real ones are 64×64+ at 128–640 channels; these keep CPU time sane).
    add(randomShape(rng, { B: 1, Cin: 64, Cout: 64, H: 16, W: 16, ksize: 3, dtype: 'f16', alpha: 1, beta: 1 }, 'residual'), 'ResBlock-like: ');
    add(randomShape(rng, { B: 1, Cin: 160, Cout: 3, H: 16, W: 16, ksize: 3, dtype: 'f32' }, 'plain'), 'conv_out-like: ');
    add(randomShape(rng, { B: 1, Cin: 96, Cout: 48, H: 16, W: 16, ksize: 1, dtype: 'f16' }, 'plain'), 'nin_shortcut-like: ');
    cases.push({ name: "VAR's real sequence: 10 scales of gather → bicubic → phi(0.5) into f_hat → area", run: (ctx) => varSequenceCase(ctx, rng) });
    cases.push({
      name: 'one pipeline per variant across all scale sizes',
      run: (ctx) =>
        expectPipelineCount(ctx, 'conv2d', 1, async () => {
          for (const pn of SCALES) await convCase(ctx, rng, randomShape(rng, { H: pn, W: pn, ksize: 3, dtype: 'f32', Cin: rng.int(1, 40), Cout: rng.int(17, 40) }, 'phi'));
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [x, w, b, out] = [t.empty(2 * 4 * 5 * 5), t.empty(8 * 4 * 9), t.empty(8), t.empty(2 * 8 * 5 * 5)];
          const a = { x, weight: w, bias: b, out, B: 2, Cin: 4, Cout: 8, H: 5, W: 5, ksize: 3 as const };
          await expectThrows('int8 weights', UnsupportedDtypeError, () => t.run((r) => recordConv2d(r, { ...a, dtype: 'int8' as never })));
          await expectThrows('weights too short', KernelShapeError, () => t.run((r) => recordConv2d(r, { ...a, weightOffset: 1 })));
          await expectThrows('x too short', KernelShapeError, () => t.run((r) => recordConv2d(r, { ...a, Cin: 5, Cout: 7 })));
          await expectThrows('bias too short', KernelShapeError, () => t.run((r) => recordConv2d(r, { ...a, biasOffset: 1 })));
          await expectThrows('skip is out', KernelShapeError, () => t.run((r) => recordConv2d(r, { ...a, skip: out })));
          await expectThrows('ksize 5', KernelShapeError, () => t.run((r) => recordConv2d(r, { ...a, ksize: 5 as never })));
          await expectThrows('binding over limit', BufferTooLargeError, () => recordConv2d(tinyLimitRecorder(ctx, 512), a));
        }),
    });
    return cases;
  },
};
