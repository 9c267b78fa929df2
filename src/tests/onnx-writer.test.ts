// ONNX graphs written in TypeScript (formats/onnx.ts) run on onnxruntime-web's wasm execution provider in
// Node, against plain-TS references: every attribute kind (int, ints, float, string, tensor), symbolic
// dimensions, f32/f16/i64 initializers, and randomized shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import { GraphBuilder, OnnxType } from '../formats/onnx';
import { f16BitsToF32, f32ToF16Bits } from '../formats/f16';
import { fuzzSeed, rng } from './fuzz-rng';

ort.env.wasm.numThreads = 1;
const run = async (g: GraphBuilder, feeds: Record<string, ort.Tensor>) => (await ort.InferenceSession.create(g.encode(), { executionProviders: ['wasm'] })).run(feeds);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `[${i}] ${a[i]} vs ${b[i]}`);
};

test('x·W + b, softmax over a symbolic batch: randomized shapes against a TS reference', async () => {
  const seed = fuzzSeed();
  const r = rng(seed);
  for (let trial = 0; trial < 5; trial++) {
    const [n, k, m] = [1 + Math.floor(r() * 7), 1 + Math.floor(r() * 33), 1 + Math.floor(r() * 17)];
    const W = Float32Array.from({ length: k * m }, () => r() * 2 - 1);
    const B = Float32Array.from({ length: m }, () => r() - 0.5);
    const X = Float32Array.from({ length: n * k }, () => r() * 2 - 1);
    const g = new GraphBuilder('linear');
    const x = g.input('x', OnnxType.FLOAT, ['batch', k]);
    g.op('Softmax', [g.op('Add', [g.op('MatMul', [x, g.f32('w', [k, m], W)]), g.f32('b', [m], B)])], { axis: -1 }, 'y');
    g.output('y', OnnxType.FLOAT, ['batch', m]);
    const y = (await run(g, { x: new ort.Tensor('float32', X, [n, k]) })).y.data as Float32Array;
    const want = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: m }, (_, j) => B[j] + Array.from({ length: k }, (_, t) => X[i * k + t] * W[t * m + j]).reduce((a, v) => a + v, 0));
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, v) => a + v, 0);
      e.forEach((v, j) => (want[i * m + j] = v / s));
    }
    close(y, want, 1e-5);
  }
});

test('attributes of every kind and f16 / i64 initializers', async () => {
  const g = new GraphBuilder('attrs');
  const x = g.input('x', OnnxType.FLOAT, [2, 3]);
  const t = g.op('Transpose', [x], { perm: [1, 0] }); // ints
  const leaky = g.op('LeakyRelu', [t], { alpha: { float: 0.25 } }); // float
  const h = g.init('h', OnnxType.FLOAT16, [3, 2], new Uint8Array(Uint16Array.from([1, 2, 3, 4, 5, 6], (v) => f32ToF16Bits(v / 8)).buffer));
  const scaled = g.op('Mul', [leaky, g.op('Cast', [h], { to: OnnxType.FLOAT })]); // int
  const shape = g.i64('shape', [3, 2]);
  const filled = g.op('ConstantOfShape', [shape], { value: { name: 'v', type: OnnxType.FLOAT, dims: [1], raw: new Uint8Array(Float32Array.of(0.5).buffer) } }); // tensor
  g.op('Add', [scaled, filled], undefined, 'y');
  const up = g.op('Resize', [g.op('Unsqueeze', [g.op('Unsqueeze', [x, g.i64('ax0', [0])]), g.i64('ax1', [0])]), '', g.f32('scales', [4], [1, 1, 2, 2])], { mode: 'nearest' }); // string
  g.op('Identity', [up], undefined, 'z');
  g.output('y', OnnxType.FLOAT, [3, 2]);
  g.output('z', OnnxType.FLOAT, [1, 1, 4, 6]);
  const X = Float32Array.from([1, -2, 3, -4, 5, -6]);
  const r = await run(g, { x: new ort.Tensor('float32', X, [2, 3]) });
  const T = [1, -4, -2, 5, 3, -6];
  close(r.y.data as Float32Array, T.map((v, i) => (v < 0 ? 0.25 * v : v) * f16BitsToF32(f32ToF16Bits((i + 1) / 8)) + 0.5));
  const z = r.z.data as Float32Array;
  close(z, Array.from({ length: 24 }, (_, i) => X[Math.floor(Math.floor(i / 6) / 2) * 3 + Math.floor((i % 6) / 2)]));
});
