// conv2d benchmarks at VQ-decoder-like shapes (VAR's decoder: 3×3 convs at 160–640 channels from
// 16² to 256²), our tiled implicit GEMM against a naive one-thread-per-output shader.
import { createStorageBuffer, uploadBuffer } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { recordConv2d } from '../../src/kernels/conv2d';
import { Rng } from '../kernels/harness';
import { dispatchRun, type BenchEntry } from './bench';
import { addShaderSources } from '../../src/gpu/pipeline-cache';
import { benchShaderSources } from './shaders.gen';

// The benchmarks' own shaders (ALU roofline, naive baselines) are not part of the library.
addShaderSources(benchShaderSources);

/** [Cin, Cout, H (= W), ksize] */
const SHAPES: Array<[number, number, number, 1 | 3]> = [
  [128, 128, 32, 3],
  [64, 64, 64, 3],
  [32, 32, 16, 3], // VAR's phi at the 16×16 f_hat
  [160, 3, 64, 3], // conv_out
  [640, 640, 16, 1], // attention qkv/proj-like 1×1
];
const NAIVE_WG = 64;

function data(Cin: number, Cout: number, S: number, k: number) {
  const rng = new Rng(Cin * 131 + Cout * 7 + S);
  return { x: rng.floats(Cin * S * S), w: rng.floats(Cout * Cin * k * k, 1 / Math.sqrt(Cin * k * k)), b: rng.floats(Cout) };
}

async function tiledSetup(ctx: GpuContext, Cin: number, Cout: number, S: number, ksize: 1 | 3, dtype: 'f32' | 'f16') {
  const d = data(Cin, Cout, S, ksize);
  const x = uploadBuffer(ctx, d.x);
  // The bench measures speed, not values: f16 weights are any bit pattern of the right size.
  const w = dtype === 'f32' ? uploadBuffer(ctx, d.w) : uploadBuffer(ctx, new Uint32Array(Math.ceil(d.w.length / 2)).fill(0x3c003c00));
  const b = uploadBuffer(ctx, d.b);
  const out = createStorageBuffer(ctx, Cout * S * S * 4);
  return dispatchRun(
    ctx,
    (rec) => recordConv2d(rec, { x, weight: w, dtype, biasDtype: 'f32', bias: b, out, B: 1, Cin, Cout, H: S, W: S, ksize }),
    () => [x, w, b, out].forEach((t) => t.destroy()),
  );
}

async function naiveSetup(ctx: GpuContext, Cin: number, Cout: number, S: number, ksize: 1 | 3) {
  const d = data(Cin, Cout, S, ksize);
  const [x, w] = [uploadBuffer(ctx, d.x), uploadBuffer(ctx, d.w)];
  const out = createStorageBuffer(ctx, Cout * S * S * 4);
  const uniforms = { Cin, Cout, H: S, W: S };
  return dispatchRun(
    ctx,
    (rec) => rec.dispatch({ shader: 'conv2d_naive', defines: { WG: NAIVE_WG, KS: ksize }, uniforms, bindings: [x, w, out], workgroups: [Math.ceil((S * S) / NAIVE_WG), Cout] }),
    () => [x, w, out].forEach((t) => t.destroy()),
  );
}

export const benches: BenchEntry[] = SHAPES.flatMap(([Cin, Cout, S, k]) => {
  const group = `conv${k}x${k} ${Cin}→${Cout} ${S}×${S}`;
  const flops = 2 * Cin * Cout * k * k * S * S;
  const bytes = (Cin * S * S + Cout * Cin * k * k + Cout * S * S) * 4;
  return [
    { name: 'conv2d.f32', group, flops, bytes, setup: (ctx: GpuContext) => tiledSetup(ctx, Cin, Cout, S, k, 'f32') },
    { name: 'conv2d.f16', group, flops, bytes, setup: (ctx: GpuContext) => tiledSetup(ctx, Cin, Cout, S, k, 'f16') },
    { name: 'conv2d_naive.f32', group, role: 'naive' as const, flops, bytes, setup: (ctx: GpuContext) => naiveSetup(ctx, Cin, Cout, S, k) },
  ];
});
