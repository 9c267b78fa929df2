/**
 * `npm run bench:gpu`: one prepared run for a machine with a real GPU (minutes, nothing else depends on
 * it): the default model (3 images after a warm-up) and a full-size random-init VAR-d16 (one image after a
 * warm-up, 256², class 207, seed 0), each on WebGPU (Dawn, the machine's adapter) and on the CPU backend
 * (onnxruntime-web wasm, all cores). VAR-d16 is made here, without Python: seeded random tensors in the
 * official key layout (models/var/checkpoint-layout.ts), converted in memory like an uploaded `.pth`.
 * Writes docs/bench/gpu-<adapter>.json. `--quick` (depth 2, 64², one image; .cache/bench/) checks the script
 * itself anywhere. On a machine without node_modules, bring them (npm ci needs the registry).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { InThreadEngine } from '../../src/engine/engine';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { VarModel } from '../../src/models/var/model';
import { VarImageSteps } from '../../src/models/var/generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { driveScales } from '../../src/engine/scale-driver';
import { bytesSource, type ByteSource } from '../../src/models/weights';
import { convertVarPth } from '../../src/models/var/convert-pth';
import { vaeShapes, varShapes } from '../../src/models/var/checkpoint-layout';
import type { PthTensor } from '../../src/formats/pth';
import type { Backend } from '../../src/backends/backend';
import type { ImageSteps } from '../../src/models/family';
import { localDirFetch, LOCAL_BASE } from '../node/local-fetch';

const quick = process.argv.includes('--quick');
const depth = quick ? 2 : 16;
const images = quick ? 1 : 3;
const PROMPT = 'a large red circle in the center on a blue background';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const t0 = performance.now();

// 1. The default model through the engine, both backends.
const gpu = await createNodeGpu();
const adapter = await gpu.requestAdapter();
const info = adapter?.info;
const adapterName = [info?.vendor, info?.architecture, info?.device].filter(Boolean).join(' ') || 'unknown';
console.log(`adapter: ${adapterName} (${info?.description ?? ''})`);
const tiny: Record<string, unknown> = {};
for (const device of ['webgpu', 'wasm'] as const) {
  const engine = new InThreadEngine({ gpu, storage: 'memory', fetch: localDirFetch('models/nextscale-tiny'), device, wasm: { threads: cpus().length } });
  const l0 = performance.now();
  const m = await engine.loadModel(LOCAL_BASE);
  const loadMs = performance.now() - l0;
  await engine.generateImage({ prompt: PROMPT, seed: 100 });
  const runs = [];
  for (let s = 0; s < images; s++) runs.push((await engine.generateImage({ prompt: PROMPT, seed: s })).timings);
  tiny[device] = { loadMs, device: m.device, imageMs: mean(runs.map((r) => r.totalMs)), firstPreviewMs: mean(runs.map((r) => r.firstPreviewMs)), runs };
  console.log(`nextscale-tiny on ${device}: load ${loadMs.toFixed(0)} ms, image ${mean(runs.map((r) => r.totalMs)).toFixed(1)} ms, first preview ${mean(runs.map((r) => r.firstPreviewMs)).toFixed(1)} ms`);
  await engine.dispose();
}

// 2. A random-init VAR-d16 with the released VAE's shape, converted in memory.
function randomTensors(shapes: Map<string, number[]>, seed: number): PthTensor[] {
  let x = seed >>> 0;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return [...shapes].map(([name, shape]) => ({
    name, dtype: 'F32', shape,
    bytes: async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      // Norm weights near 1, the rest small: the activations stay finite through every layer.
      const v = /norm\d?\.weight$|norm_out\.weight$/.test(name) ? Float32Array.from({ length: n }, () => 1 + 0.1 * next()) : Float32Array.from({ length: n }, () => 0.02 * next());
      return new Uint8Array(v.buffer);
    },
  }) satisfies PthTensor);
}
const c0 = performance.now();
// --quick: four scales (64²) and a narrow VAE (ch 32), so that even an emulated GPU gets through it.
const patchNums = quick ? [1, 2, 3, 4] : [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const converted = await convertVarPth(randomTensors(varShapes(depth, patchNums, 1000, 4096, 32), 1), randomTensors(vaeShapes(quick ? 32 : 160, 4096, 32), 2), { varFile: 'random', vaeFile: 'random', name: `var-d${depth}-random`, patchNums });
const files = new Map<string, ByteSource>([...converted.files].filter(([k]) => k !== 'config.json').map(([k, v]) => [k, bytesSource(v)]));
const makeMs = performance.now() - c0;
console.log(`VAR-d${depth} (random init) made and converted in ${(makeMs / 1000).toFixed(1)} s`);
const config = converted.config;

async function image<W, O>(backend: Backend<W, O>, make: () => ImageSteps<W, O>) {
  const time = async () => {
    const steps = make();
    const s0 = performance.now();
    const scales: number[] = [];
    let codes: number[][] = [];
    let decodeMs = 0;
    for await (const o of driveScales(backend, steps, { previews: false })) {
      scales.push(o.forwardMs);
      codes = [...codes, o.codes];
      decodeMs = o.previewMs;
    }
    steps.release();
    return { imageMs: performance.now() - s0, transformerMs: scales.reduce((a, b) => a + b, 0), vaeDecodeMs: decodeMs, perScaleMs: scales, codes };
  };
  await time(); // warm-up: pipelines compiled, sessions' first runs
  return time();
}
const smp = { seed: 0, cfg: 4, topK: 900, topP: 0.95, temperature: 1 };
const varRuns: Record<string, Awaited<ReturnType<typeof image>> & { loadMs: number }> = {};
{
  const ctx = await createGpuContext({ gpu });
  const l0 = performance.now();
  const model = VarModel.load(ctx, { config, weights: files });
  const loadMs = performance.now() - l0;
  varRuns.webgpu = { loadMs, ...(await image(new WebGpuBackend(ctx), () => new VarImageSteps(ctx, model, 207, smp))) };
  model.destroy();
  ctx.destroy();
}
{
  const rt = await wasmRuntime({ threads: cpus().length });
  const l0 = performance.now();
  const m = await loadOnWasm(rt, { config, json: () => undefined, files });
  const loadMs = performance.now() - l0;
  varRuns.wasm = { loadMs, ...(await image(new WasmBackend(rt), () => m.imageSteps({ classLabel: 207, seed: 0 }, smp))) };
  m.destroy();
}
for (const [k, r] of Object.entries(varRuns)) console.log(`VAR-d${depth} on ${k}: load ${(r.loadMs / 1000).toFixed(1)} s, image ${(r.imageMs / 1000).toFixed(2)} s (transformer ${(r.transformerMs / 1000).toFixed(2)} s, VAE decode ${(r.vaeDecodeMs / 1000).toFixed(2)} s)`);
const a = varRuns.webgpu.codes.flat();
const differ = varRuns.wasm.codes.flat().filter((x, i) => x !== a[i]).length;
console.log(`codes that differ between the backends: ${differ} of ${a.length}`);

const slug = adapterName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
const out = quick ? `.cache/bench/gpu-${slug}.quick.json` : `docs/bench/gpu-${slug}.json`;
mkdirSync(out.slice(0, out.lastIndexOf('/')), { recursive: true });
const version = (p: string) => JSON.parse(readFileSync(`node_modules/${p}/package.json`, 'utf8')).version as string;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // a copied tree without .git
}
writeFileSync(out, JSON.stringify({
  date: new Date().toISOString(), commit, versions: { node: process.version, dawn: version('webgpu'), onnxruntimeWeb: version('onnxruntime-web') },
  adapter: info, cpuCores: cpus().length, quick, tiny,
  var: { depth, makeMs, codesDiffer: differ, ...Object.fromEntries(Object.entries(varRuns).map(([k, r]) => [k, { ...r, codes: undefined }])) },
  wallS: (performance.now() - t0) / 1000,
}, null, 1) + '\n');
console.log(`wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exit(0);
