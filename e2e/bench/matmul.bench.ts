// Linear (matmul) benchmarks: our tiled and matrix-vector paths for f32/f16/q8 weights, against
// a naive one-thread-per-output shader and onnxruntime-web's WebGPU MatMul on the same shapes.
import { createStorageBuffer, uploadBuffer } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import { linearPath, recordLinear, type LinearWeights, type WeightDtype } from '../../src/kernels/matmul';
import { packF16, quantizeQ8, wordsPerRow } from '../../src/kernels/matmul-pack';
import { Rng } from '../kernels/harness';
import { dispatchRun, type BenchEntry } from './bench';
import { ortMatmul } from './onnx-matmul';
import { addShaderSources } from '../../src/gpu/pipeline-cache';
import { benchShaderSources } from './shaders.gen';

// The benchmarks' own shaders (ALU roofline, naive baselines) are not part of the library.
addShaderSources(benchShaderSources);

/** [M, K, N]: 1024³, model-like scales (VAR d16: C=1024, FFN 4096; 680 = all tokens of a 256px image), GEMV. */
const TILED: Array<[number, number, number]> = [
  [1024, 1024, 1024],
  [680, 1024, 1024],
  [256, 1024, 4096],
  [130, 256, 1024],
];
const GEMV: Array<[number, number, number]> = [
  [1, 1024, 4096],
  [2, 1024, 4096],
];

const NAIVE_WG = 64;
const groupOf = (M: number, K: number, N: number) => `M=${M} K=${K} N=${N}`;

function randomData(M: number, K: number, N: number) {
  const rng = new Rng(M * 7919 + K * 31 + N);
  return { x: rng.floats(M * K), w: rng.floats(N * K, 1 / Math.sqrt(K)) };
}

async function linearSetup(ctx: GpuContext, M: number, K: number, N: number, dtype: WeightDtype) {
  const { x, w } = randomData(M, K, N);
  const owned: GPUBuffer[] = [];
  const up = (d: Float32Array | Uint32Array) => (owned.push(uploadBuffer(ctx, d, 'bench')), owned[owned.length - 1]);
  const weights: LinearWeights = { dtype, w: { buffer: up(w) } };
  if (dtype === 'f16') weights.w = { buffer: up(packF16(w, N, K)) };
  if (dtype === 'q8') {
    const q = quantizeQ8(w, N, K);
    weights.w = { buffer: up(q.words) };
    weights.scales = { buffer: up(q.scales) };
  }
  weights.bias = { buffer: up(new Float32Array(N)) };
  const X = up(x);
  const Y = createStorageBuffer(ctx, M * N * 4, 'bench-y');
  owned.push(Y);
  return dispatchRun(ctx, (rec) => recordLinear(rec, { M, K, N, x: { buffer: X }, weights, y: { buffer: Y } }), () => owned.forEach((b) => b.destroy()));
}

async function naiveSetup(ctx: GpuContext, M: number, K: number, N: number) {
  const { x, w } = randomData(M, K, N);
  const X = uploadBuffer(ctx, x);
  const W = uploadBuffer(ctx, w);
  const Y = createStorageBuffer(ctx, M * N * 4);
  const uniforms = { M, N, K };
  return dispatchRun(
    ctx,
    (rec) => rec.dispatch({ shader: 'matmul_naive', defines: { WG: NAIVE_WG }, uniforms, bindings: [X, W, Y], workgroups: [Math.ceil(N / NAIVE_WG), M] }),
    () => [X, W, Y].forEach((b) => b.destroy()),
  );
}

async function ortSetup(M: number, K: number, N: number) {
  const { x, w } = randomData(M, K, N);
  const b_KN = new Float32Array(K * N); // ONNX MatMul wants B [K,N]: W transposed
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) b_KN[k * N + n] = w[n * K + k];
  const r = await ortMatmul(M, K, N, x, b_KN);
  // Check row 0 once, so the baseline is known to compute the same product.
  const y = await r.result();
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += x[k] * w[n * K + k];
    if (Math.abs(y[n] - s) > 1e-3 * (1 + Math.abs(s))) throw new Error(`onnxruntime MatMul row 0 col ${n}: ${y[n]} != ${s}`);
  }
  return r;
}

function entriesFor(shapes: Array<[number, number, number]>): BenchEntry[] {
  const out: BenchEntry[] = [];
  for (const [M, K, N] of shapes) {
    const group = groupOf(M, K, N);
    const flops = 2 * M * N * K;
    const path = linearPath(M);
    for (const dtype of ['f32', 'f16', 'q8'] as const) {
      const bytes = N * wordsPerRow(dtype, K) * 4 + (dtype === 'q8' ? N * Math.ceil(K / 32) * 4 : 0) + M * K * 4;
      out.push({ name: `linear.${path}.${dtype}`, group, flops, bytes, setup: (ctx) => linearSetup(ctx, M, K, N, dtype) });
    }
    out.push({ name: 'matmul_naive.f32', group, role: 'naive', flops, bytes: (N * K + M * K) * 4, setup: (ctx) => naiveSetup(ctx, M, K, N) });
    out.push({ name: 'ort.webgpu.MatMul.f32', group, role: 'ort', flops, bytes: (N * K + M * K) * 4, setup: () => ortSetup(M, K, N) });
  }
  return out;
}

export const benches: BenchEntry[] = [...entriesFor(TILED), ...entriesFor(GEMV)];
