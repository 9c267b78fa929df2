import type { GpuContext } from '../../src/gpu/device';
import { BufferTooLargeError, KernelShapeError, UnsupportedDtypeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordLinear, type LinearArgs, type LinearPath, type WeightDtype } from '../../src/kernels/matmul';
import { dequantizeQ8, f16BitsToF32, f32ToF16Bits, packF16, quantizeQ8, unpackF16 } from '../../src/kernels/matmul-pack';
import { linearRef } from '../../src/kernels/reference/matmul';
import { tuning } from '../../src/kernels/tuning';
import { expectClose, expectEqual, expectThrows, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { withBuffers, type TestBuffers } from './gpu-util';

// The reference uses the dequantized weights, so one tolerance serves every dtype: what is left
// is f32 accumulation order, ~sqrt(K)·2⁻²⁴ of the output scale.
const RTOL = 1e-4;
const atolFor = (ref: Float32Array) => 1e-4 * ref.reduce((a, v) => Math.max(a, Math.abs(v)), 1);

interface Shape {
  M: number;
  K: number;
  N: number;
  dtype: WeightDtype;
  path: LinearPath;
  bias: boolean;
  residual: 'none' | 'buffer' | 'inplace';
  offsets: boolean;
}

const describe = (s: Shape) =>
  `${s.path} ${s.dtype} M=${s.M} K=${s.K} N=${s.N}${s.bias ? ' +bias' : ''}${s.residual !== 'none' ? ` +res(${s.residual})` : ''}${s.offsets ? ' offsets' : ''}`;

/** `data` placed at a random word offset inside a larger buffer (a stand-in for a weight shard). */
function placed(t: TestBuffers, rng: Rng, data: Float32Array | Uint32Array, offsets: boolean): { buffer: GPUBuffer; offset: number } {
  const offset = offsets ? rng.int(1, 300) : 0;
  const host = new (data.constructor as Float32ArrayConstructor)(offset + data.length + (offsets ? rng.int(0, 40) : 0));
  host.fill(Number.NaN); // padding must never leak into the result
  host.set(data as Float32Array, offset);
  return { buffer: t.upload(host), offset };
}

async function runShape(ctx: GpuContext, rng: Rng, s: Shape): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const { M, K, N } = s;
    const x = rng.floats(M * K);
    const wf = rng.floats(N * K, 1 / Math.sqrt(K));
    const bias = s.bias ? rng.floats(N) : undefined;
    const res = s.residual !== 'none' ? rng.floats(M * N) : undefined;
    let wEff: Float32Array = wf;
    const weights: LinearArgs['weights'] = { dtype: s.dtype, w: { buffer: t.empty(1) } };
    if (s.dtype === 'f32') weights.w = placed(t, rng, wf, s.offsets);
    else if (s.dtype === 'f16') {
      const p = packF16(wf, N, K);
      wEff = unpackF16(p, N, K);
      weights.w = placed(t, rng, p, s.offsets);
    } else {
      const q = quantizeQ8(wf, N, K);
      wEff = dequantizeQ8(q, N, K);
      weights.w = placed(t, rng, q.words, s.offsets);
      weights.scales = placed(t, rng, q.scales, s.offsets);
    }
    if (bias) weights.bias = placed(t, rng, bias, s.offsets);
    const y = s.residual === 'inplace' ? placed(t, rng, res!, s.offsets) : placed(t, rng, new Float32Array(M * N), s.offsets);
    const residual = s.residual === 'buffer' ? placed(t, rng, res!, s.offsets) : s.residual === 'inplace' ? y : undefined;
    const xr = placed(t, rng, x, s.offsets);
    await t.run((rec) => recordLinear(rec, { M, K, N, x: xr, weights, y, residual, path: s.path }));
    const ref = linearRef(x, wEff, M, K, N, bias, res);
    expectClose(describe(s), await t.readF32(y.buffer, M * N, y.offset), ref, { atol: atolFor(ref), rtol: RTOL });
  });
}

function shapeCases(rng: Rng): Shape[] {
  const shapes: Shape[] = [];
  const Ks = [32, 33, 257, 64, 1, 5];
  const Ns = [1, 7, 512, 1000, 64, 65];
  const extra = (): Pick<Shape, 'bias' | 'residual' | 'offsets'> => ({
    bias: rng.next() < 0.5,
    residual: rng.pick(['none', 'buffer', 'inplace'] as const),
    offsets: rng.next() < 0.6,
  });
  for (const dtype of ['f32', 'f16', 'q8'] as const) {
    // Tiled: every odd token count, plus a big CFG-doubled scale.
    for (const M of [...ODD_TOKEN_COUNTS, rng.int(300, 700)]) {
      const big = M > 169;
      shapes.push({ M, K: big ? rng.int(100, 300) : rng.pick(Ks), N: big ? rng.int(60, 200) : rng.pick(Ns), dtype, path: 'tiled', ...extra() });
    }
    shapes.push({ M: rng.int(1, 200), K: rng.int(1, 600), N: rng.int(1, 600), dtype, path: 'tiled', ...extra() });
    // Matrix-vector: M = 1..MAX_M, K and N odd and even.
    for (let i = 0; i < 4; i++) {
      const M = i === 0 ? 1 : rng.int(1, tuning.matvec.MAX_M);
      shapes.push({ M, K: i < 2 ? rng.pick(Ks) : rng.int(1, 2000), N: rng.pick(Ns), dtype, path: 'matvec', ...extra() });
    }
  }
  // The automatic path choice, both sides of the threshold.
  shapes.push({ M: tuning.matvec.MAX_M, K: 96, N: 50, dtype: 'f16', path: 'auto', bias: true, residual: 'none', offsets: false });
  shapes.push({ M: tuning.matvec.MAX_M + 1, K: 96, N: 50, dtype: 'q8', path: 'auto', bias: true, residual: 'none', offsets: false });
  return shapes;
}

export const suite: KernelSuite = {
  name: 'matmul',
  tolerance: 'atol 1e-4·max|y_ref| + rtol 1e-4 for f32/f16/q8, against the reference on the dequantized weights',
  cases(rng) {
    const cases: KernelCase[] = shapeCases(rng).map((s) => ({ name: describe(s), run: (ctx) => runShape(ctx, rng, s) }));

    cases.push({
      name: 'packers: f16 round-to-nearest-even, subnormals, q8 error ≤ scale/2',
      run: async () => {
        const vals = [0, -0, 1, -2.5, 65504, 70000, 1e-5, 6e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
        const want = [0, -0, 1, -2.5, 65504, Infinity, 1.0013580322265625e-5, 5.960464477539063e-8, 1, 1 + 2 ** -9];
        expectEqual('f16', vals.map((v) => f16BitsToF32(f32ToF16Bits(v))), want);
        const w = rng.floats(3 * 70);
        const q = quantizeQ8(w, 3, 70);
        const d = dequantizeQ8(q, 3, 70);
        for (let i = 0; i < w.length; i++) {
          const s = q.scales[Math.floor(i / 70) * 3 + Math.floor((i % 70) / 32)];
          if (Math.abs(d[i] - w[i]) > s / 2 + 1e-7) throw new Error(`q8 [${i}]: ${w[i]} → ${d[i]} (scale ${s})`);
        }
      },
    });

    // The tiled path without the subgroups feature (no quad shuffles), as on devices without it.
    const noSub = { M: rng.int(20, 200), K: rng.int(1, 300), N: rng.int(1, 300), dtype: rng.pick(['f32', 'f16', 'q8'] as const), path: 'tiled' as const, bias: true, residual: 'buffer' as const, offsets: true };
    cases.push({ name: `${describe(noSub)} without subgroups`, run: (ctx) => runShape({ ...ctx, features: { ...ctx.features, subgroups: false } }, rng, noSub) });
    const noSubMv = { M: rng.int(1, tuning.matvec.MAX_M), K: rng.int(1, 700), N: rng.int(1, 300), dtype: rng.pick(['f32', 'f16', 'q8'] as const), path: 'matvec' as const, bias: true, residual: 'buffer' as const, offsets: true };
    cases.push({ name: `${describe(noSubMv)} without subgroups`, run: (ctx) => runShape({ ...ctx, features: { ...ctx.features, subgroups: false } }, rng, noSubMv) });

    cases.push({
      name: 'one pipeline per variant across shapes',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const X = t.empty(700 * 300);
          const W = t.empty(300 * 200);
          const Y = t.empty(700 * 200);
          const before = ctx.pipelines.compiled;
          const shapes = [[169, 64, 33], [680, 257, 200], [13, 300, 7]];
          for (const [M, K, N] of shapes) {
            await t.run((rec) => recordLinear(rec, { M, K, N, x: { buffer: X }, weights: { dtype: 'f16', w: { buffer: W } }, y: { buffer: Y }, path: 'tiled' }));
          }
          const tiled = ctx.pipelines.compiled - before;
          for (const [M, K, N] of [[1, 64, 33], [1, 257, 200]]) {
            await t.run((rec) => recordLinear(rec, { M, K, N, x: { buffer: X }, weights: { dtype: 'f16', w: { buffer: W } }, y: { buffer: Y }, path: 'matvec' }));
          }
          const matvec = ctx.pipelines.compiled - before - tiled;
          if (tiled > 1 || matvec > 1) throw new Error(`compiled ${tiled} tiled and ${matvec} matvec pipelines; want at most 1 each`);
        }),
    });

    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const X = t.empty(13 * 64);
          const W = t.empty(32 * 64);
          const Y = t.empty(13 * 32);
          const base: LinearArgs = { M: 13, K: 64, N: 32, x: { buffer: X }, weights: { dtype: 'f32', w: { buffer: W } }, y: { buffer: Y } };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('dtype', UnsupportedDtypeError, () => recordLinear(rec(), { ...base, weights: { dtype: 'bf16' as WeightDtype, w: { buffer: W } } }));
          await expectThrows('x too short', KernelShapeError, () => recordLinear(rec(), { ...base, K: 65 }));
          await expectThrows('w at offset runs past its buffer', KernelShapeError, () => recordLinear(rec(), { ...base, weights: { dtype: 'f32', w: { buffer: W, offset: 1 } } }));
          await expectThrows('y too short', KernelShapeError, () => recordLinear(rec(), { ...base, N: 33, weights: { dtype: 'f16', w: { buffer: W } } }));
          await expectThrows('q8 without scales', KernelShapeError, () => recordLinear(rec(), { ...base, weights: { dtype: 'q8', w: { buffer: W } } }));
          await expectThrows('K = 0', KernelShapeError, () => recordLinear(rec(), { ...base, K: 0 }));
          await expectThrows('fractional N', KernelShapeError, () => recordLinear(rec(), { ...base, N: 2.5 }));
          await expectThrows('matvec with many rows', KernelShapeError, () => recordLinear(rec(), { ...base, path: 'matvec' }));
          await expectThrows('x aliases y', KernelShapeError, () => recordLinear(rec(), { ...base, x: { buffer: Y }, K: 32 }));
          await expectThrows('in-place residual at another offset', KernelShapeError, () => recordLinear(rec(), { ...base, M: 12, residual: { buffer: Y, offset: 1 } }));
          // A device whose binding limit is below the weight's 8 KiB window.
          const small = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: 4096 } };
          await expectThrows('binding over the limit', BufferTooLargeError, () => recordLinear(new Recorder(small, 'errors'), base));
        }),
    });
    return cases;
  },
};
