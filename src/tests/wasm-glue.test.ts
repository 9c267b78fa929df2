// The CPU backend's TypeScript glue (backends/wasm/sample.ts, cpu-ops.ts) against the kernels' plain-TS
// references (the same references the WGSL kernels are tested against), on randomized shapes and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuSampler } from '../backends/wasm/sample';
import { codebookNorms, gatherCodes, imageToRgba, nearestCodes, resizeArea, resizeBicubic } from '../backends/wasm/cpu-ops';
import { sampleRow } from '../kernels/reference/sample';
import { resizeAreaRef, resizeBicubicRef } from '../kernels/reference/resize';
import { codebookGatherRef } from '../kernels/reference/codebook_gather';
import { codebookNearestRef } from '../kernels/reference/codebook_nearest';
import { imageToRgbaRef } from '../kernels/reference/image_to_rgba';
import { fuzzSeed, rng } from './fuzz-rng';

const seed = fuzzSeed();
const where = `(SEED=${seed})`;

test('CPU sampler draws what the reference sampler draws: CFG, temperature, top-k, top-p, greedy', () => {
  const r = rng(seed);
  const sampler = new CpuSampler();
  let near = 0;
  let rows = 0;
  for (let trial = 0; trial < 400; trial++) {
    const V = [2, 5, 17, 64, 512, 1000][Math.floor(r() * 6)];
    const spread = [0.1, 1, 5, 20][Math.floor(r() * 4)];
    const cond = Float32Array.from({ length: V }, () => (r() * 2 - 1) * spread);
    const uncond = Float32Array.from({ length: V }, () => (r() * 2 - 1) * spread);
    if (r() < 0.2) for (let i = 0; i < V; i += 3) cond[i] = cond[0]; // ties
    const cfg = r() < 0.5 ? 0 : r() * 4;
    const o = {
      V, guidance: cfg, temperature: r() < 0.15 ? 0 : 0.3 + r() * 1.5,
      topK: r() < 0.3 ? 0 : 1 + Math.floor(r() * V), topP: r() < 0.3 ? 0 : r() < 0.1 ? 1 : 0.05 + r() * 0.9,
      seed: Math.floor(r() * 2 ** 32), step: Math.floor(r() * 300),
    };
    const pos = Math.floor(r() * 256);
    const want = sampleRow(cond, cfg ? uncond : null, { ...o, pos });
    const got = sampler.row(o, cond, 0, cfg ? uncond : null, 0, pos);
    rows++;
    if (want.near) {
      near++;
      assert.ok(got === want.code || want.alternatives.includes(got), `trial ${trial} ${where}: ${got} is not ${want.code} or a boundary neighbour`);
    } else assert.equal(got, want.code, `trial ${trial} ${where}: options ${JSON.stringify(o)}`);
  }
  assert.ok(near < rows / 4, `${near}/${rows} draws sat on a boundary: the test would prove little ${where}`);
});

test('CPU bicubic resize (both layouts, accumulate) and area resize match the references', () => {
  const r = rng(seed + 1);
  for (let trial = 0; trial < 40; trial++) {
    const C = 1 + Math.floor(r() * 6);
    const [inH, inW] = [1 + Math.floor(r() * 9), 1 + Math.floor(r() * 9)];
    const [outH, outW] = [1 + Math.floor(r() * 17), 1 + Math.floor(r() * 17)];
    const x = Float32Array.from({ length: C * inH * inW }, () => r() * 2 - 1);
    for (const layout of ['nchw', 'tokens'] as const) {
      const want = resizeBicubicRef(x, 1, C, inH, inW, outH, outW, layout);
      const base = Float32Array.from({ length: want.length }, () => r());
      const acc = Float32Array.from(base);
      const out = new Float32Array(want.length);
      resizeBicubic(x, C, inH, inW, outH, outW, layout, out);
      resizeBicubic(x, C, inH, inW, outH, outW, layout, acc, true);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(out[i] - want[i]) < 1e-5, `bicubic ${layout} [${i}] ${out[i]} vs ${want[i]} ${where}`);
        assert.ok(Math.abs(acc[i] - base[i] - want[i]) < 1e-5, `bicubic accumulate ${layout} [${i}] ${where}`);
      }
    }
    if (outH <= inH && outW <= inW) {
      const want = resizeAreaRef(x, 1, C, inH, inW, outH, outW);
      const out = new Float32Array(want.length);
      resizeArea(x, C, inH, inW, outH, outW, out);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(out[i] - want[i]) < 1e-5, `area [${i}] ${where}`);
    }
  }
});

test('CPU codebook gather and nearest code match the references', () => {
  const r = rng(seed + 2);
  for (let trial = 0; trial < 20; trial++) {
    const [V, C, HW] = [2 + Math.floor(r() * 60), 1 + Math.floor(r() * 9), 1 + Math.floor(r() * 40)];
    const codebook = Float32Array.from({ length: V * C }, () => r() * 2 - 1);
    const codes = Uint32Array.from({ length: HW + 3 }, () => Math.floor(r() * (V + 2))); // a few past V: clamped
    for (const layout of ['nchw', 'tokens'] as const) {
      const want = codebookGatherRef(codes.subarray(3), codebook, 1, HW, V, C, layout);
      const out = new Float32Array(HW * C);
      gatherCodes(codes, 3, HW, codebook, V, C, layout, out);
      assert.deepEqual(Array.from(out), Array.from(want, Math.fround), `gather ${layout} ${where}`);
    }
    const resid = Float32Array.from({ length: C * HW }, () => r() * 2 - 1);
    const want = codebookNearestRef(resid, codebook, HW, C, V);
    const got = new Uint32Array(HW + 1);
    nearestCodes(resid, HW, codebook, codebookNorms(codebook, V, C), V, C, got, 1);
    for (let p = 0; p < HW; p++) if (want.gap[p] > 1e-5) assert.equal(got[p + 1], want.codes[p], `nearest cell ${p} ${where}`);
  }
});

test('CPU image → RGBA8 rounds like the reference (half to even, clamped)', () => {
  const r = rng(seed + 3);
  const [H, W] = [1 + Math.floor(r() * 20), 1 + Math.floor(r() * 20)];
  const img = Float32Array.from({ length: 3 * H * W }, () => (r() * 2.4 - 1.2));
  img[0] = 1 / 255 - 1; // exact halves
  img[1] = 3 / 255 - 1;
  assert.deepEqual(Array.from(imageToRgba(img, H, W)), Array.from(imageToRgbaRef(img, H, W)), where);
});
