import { KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordRope } from '../../src/kernels/rope';
import { imageScalePositions, nextflowPositions, textPositions } from '../../src/kernels/rope-positions';
import { ropeRef } from '../../src/kernels/reference/rope';
import { expectClose, expectThrows, MismatchError, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { withBuffers } from './gpu-util';

// Both sides form the angle pos·inv_freq in f32 (as PyTorch does), so what is left is the kernel's
// own sin/cos (~1e-7) and the f32 rotation; |x| ~ 1. The built-in sin/cos (2⁻¹¹ bound, 1.9e-4 on
// SwiftShader) would fail this.
const TOL = { atol: 2e-6, rtol: 2e-6 };

/** Random split of D/2 pairs over three axes. */
function randomSections(rng: Rng, D: number): [number, number, number] {
  const half = D / 2;
  const a = rng.int(0, half);
  const b = rng.int(0, half - a);
  return [a, b, half - a - b];
}

export const suite: KernelSuite = {
  name: 'rope',
  tolerance: 'atol 2e-6 + rtol 2e-6 (angle formed in f32 on both sides; sin/cos to ~1e-7)',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const T of ODD_TOKEN_COUNTS) {
      for (const mode of ['1d', '3d'] as const) {
        const B = rng.int(1, 2);
        const H = rng.pick([1, 2, 4, 7]);
        const D = rng.pick([64, 128]);
        const theta = rng.pick([100, 10000, 1e6]);
        const sections = mode === '3d' ? randomSections(rng, D) : undefined;
        const stride = rng.next() < 0.3 ? (H + 3) * D : H * D; // sometimes a slice of fused qkv rows
        const off = rng.int(0, 9);
        cases.push({
          name: `${mode} B=${B} T=${T} H=${H} D=${D} theta=${theta}${sections ? ` sections=[${sections}]` : ''} stride=${stride}`,
          run: (ctx) =>
            withBuffers(ctx, async (t) => {
              const x = rng.floats(off + B * T * stride);
              // 3D: a text run then image scales at fractional positions; 1D: positions up to ~2000.
              const pos = sections
                ? nextflowPositions([{ text: T - Math.min(T, 4) }, { image: { p0: 1500, scales: [[1, 1], [1, 3]].slice(0, Math.min(T, 4) > 1 ? 2 : 1) as [number, number][] } }], 64, 1900 - T).subarray(0, 3 * T)
                : Float32Array.from({ length: T }, () => rng.int(0, 2000));
              if (sections && pos.length !== 3 * T) throw new MismatchError(`positions: built ${pos.length / 3} rows, want ${T}`);
              const P = t.upload(Float32Array.from([Number.NaN, ...pos])); // element 0 is padding
              const X = t.upload(x);
              await t.run((rec) => recordRope(rec, { x: { buffer: X, offset: off }, B, T, H, D, stride, positions: { buffer: P, offset: 1 }, theta, sections }));
              const want = Float32Array.from([...x.subarray(0, off), ...ropeRef(x.subarray(off), pos, { B, T, H, D, stride, theta, sections })]);
              expectClose('rope', await t.readF32(X, x.length), want, TOL);
            }),
        });
      }
    }
    cases.push({
      name: 'NextFlow positions helper',
      run: async () => {
        const got = nextflowPositions([{ text: 2 }, { image: { p0: 2, scales: [[1, 1], [2, 2]] } }, { text: 1 }], 8);
        const want = [0, 0, 0, 1, 1, 1, /* 1×1 */ 6, 6, 2, /* 2×2 */ 4, 4, 3, 4, 8, 3, 8, 4, 3, 8, 8, 3, /* text */ 2, 2, 2];
        expectClose('positions', got, want, { atol: 0 });
        expectClose('text', textPositions(5, 2), [5, 5, 5, 6, 6, 6], { atol: 0 });
        expectClose('image 1×2', imageScalePositions(10, 4, 1, 2, 4), [12, 11, 14, 12, 13, 14], { atol: 0 });
      },
    });
    cases.push({
      name: 'new T compiles no new pipeline',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          let before = -1;
          for (const T of [3, 13, 169, 40]) {
            const X = t.empty(T * 2 * 64);
            const P = t.upload(new Float32Array(3 * T));
            await t.run((rec) => recordRope(rec, { x: { buffer: X }, B: 1, T, H: 2, D: 64, positions: { buffer: P }, theta: 1e4, sections: [12, 12, 8] }));
            if (before < 0) before = ctx.pipelines.compiled;
          }
          if (ctx.pipelines.compiled !== before) throw new MismatchError(`new T compiled ${ctx.pipelines.compiled - before} pipelines`);
        }),
    });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [X, P] = [t.empty(5 * 2 * 64), t.empty(5 * 3)];
          const a = { x: { buffer: X }, B: 1, T: 5, H: 2, D: 64, positions: { buffer: P }, theta: 1e4 };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('odd D', KernelShapeError, () => recordRope(rec(), { ...a, D: 63 }));
          await expectThrows('sections not summing to D/2', KernelShapeError, () => recordRope(rec(), { ...a, sections: [12, 12, 9] }));
          await expectThrows('x too small', KernelShapeError, () => recordRope(rec(), { ...a, T: 6 }));
          await expectThrows('positions too small', KernelShapeError, () => recordRope(rec(), { ...a, B: 1, T: 5, H: 1, sections: [16, 16, 0], positions: { buffer: P, offset: 1 } }));
        }),
    });
    return cases;
  },
};
