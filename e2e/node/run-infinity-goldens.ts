// Infinity (tools/infinity_golden.py → e2e/goldens/infinity-tiny: random-init weights written as the official
// .pth files) against its PyTorch reference, in Node on the CPU backend: the files converted as published;
// per case, teacher-forced logits / next inputs / f̂ / image within the issue's tolerances, free-running
// greedy bits equal off near ties, and seeded top-p sampling reproducible; then the same model loaded by the
// engine from the .pth files (auto picks the CPU for it), greedy bits equal the golden.
// Usage: tsx e2e/node/run-infinity-goldens.ts [--device webgpu|wasm] [goldenDir]   (default wasm; webgpu runs on Dawn)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bytesAccess, readPth } from '../../src/formats/pth';
import { parseSafetensors, tensorToF32 } from '../../src/formats/safetensors';
import { convertInfinityPth } from '../../src/models/infinity/convert-pth';
import { loadModelFiles, sha256Hex } from '../../src/store';
import { setWasmMemoryLimit, wasmRuntime } from '../../src/backends/wasm/runtime';
import { NextscaleError } from '../../src/api/errors';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { driveScales, type ScaleOutput } from '../../src/engine/scale-driver';
import { InThreadEngine } from '../../src/engine/engine';
import { createFileFetch } from '../../src/cli/file-fetch';
import { localDirFetch, LOCAL_BASE } from './local-fetch';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext, type GpuContext } from '../../src/gpu/device';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { infinityFamily } from '../../src/models/infinity/family';
import type { Backend } from '../../src/backends/backend';
import type { ImageSteps, LoadedModel } from '../../src/models/family';
import { compareGreedy, compareTeacherForced, readInfinityGolden, RESOLUTION_OF_PN, type InfinityGoldenIndex } from '../goldens/infinity-compare';

const args = process.argv.slice(2);
const device = args.includes('--device') ? args[args.indexOf('--device') + 1] : 'wasm';
const goldenDir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--device') ?? 'e2e/goldens/infinity-tiny';
const index = JSON.parse(readFileSync(join(goldenDir, 'index.json'), 'utf8')) as InfinityGoldenIndex;
const read = (f: string) => new Uint8Array(readFileSync(join(goldenDir, f)));
let passed = 0;
let failed = 0;
const report = (ok: boolean, what: string, detail: string[] = []) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail.length ? '\n     ' + detail.join('\n     ') : ''}`);
  ok ? passed++ : failed++;
};

const featBytes = read(index.features);
const featInfo = parseSafetensors(index.features, featBytes).tensors.get('features')!;
const textFeatures = { data: tensorToF32(featBytes.subarray(featInfo.begin, featInfo.begin + featInfo.bytes), { ...featInfo, begin: 0 }), shape: featInfo.shape as [number, number] };

// Convert the .pth files as published, into a folder the store loads.
const converted = await convertInfinityPth(await readPth(bytesAccess(read(index.model)), index.model), await readPth(bytesAccess(read(index.vae)), index.vae), { modelFile: index.model, vaeFile: index.vae });
const dir = mkdtempSync(join(tmpdir(), 'nextscale-infinity-'));
const list = [...converted.files].map(([path, b]) => {
  writeFileSync(join(dir, path), b);
  return { path, size: b.length, sha256: sha256Hex(b) };
});
writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'nextscale-manifest', version: 1, model: converted.config.name, files: list }));
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(dir), storage: null });
const arch = converted.config.architecture as { bits: number; depth: number; dim: number };
report(arch.depth === 2 && arch.dim === 64 && arch.bits === 32, `sizes read from the shapes: depth ${arch.depth}, width ${arch.dim}, ${arch.bits} bits`);

const modelFiles = { config: files.config as Record<string, unknown>, json: (p: string) => files.files.get(p)?.json(), files: files.files };
let m: LoadedModel<unknown, unknown>;
let backend: Backend<unknown, unknown>;
let ctx: GpuContext | undefined;
if (device === 'webgpu') {
  ctx = await createGpuContext({ gpu: await createNodeGpu() });
  m = infinityFamily.load(ctx, modelFiles) as LoadedModel<unknown, unknown>;
  backend = new WebGpuBackend(ctx) as Backend<unknown, unknown>;
} else {
  const rt = await wasmRuntime({});
  m = (await loadOnWasm(rt, modelFiles)) as LoadedModel<unknown, unknown>;
  backend = new WasmBackend(rt) as Backend<unknown, unknown>;
}
console.log(`device: ${device}`);
const d = arch.bits;

/** Every scale's codes, without decoding an image (the decoder is what takes long on an emulated GPU). */
async function codesOnly(steps: ImageSteps<unknown, unknown>): Promise<number[][]> {
  const out: number[][] = [];
  for (let s = 0; s < steps.grids.length; s++) {
    const work = backend.begin(`scale-${s}`);
    const got = await backend.run(work, { codes: steps.scheduleScale(work, s) });
    out.push(Array.from(new Uint32Array(got.codes)));
  }
  steps.release();
  return out;
}

for (const c of index.cases) {
  const g = readInfinityGolden(c, read(c.tensors), d);
  const opts = { textFeatures, resolution: RESOLUTION_OF_PN[c.pn], aspect: c.h_div_w };
  const smp = { seed: 0, cfg: c.cfg, topK: 1, topP: 0, temperature: c.tau };
  // Teacher-forced: the reference's bits fed back at every scale.
  const steps = m.imageSteps(opts, smp);
  g.codes.forEach((codes, s) => steps.teacherForce!(s, codes));
  const outs: ScaleOutput[] = [];
  // On an emulated GPU the decoder is what takes long: its image is checked on the first case there, on every case on the CPU.
  const image = device === 'wasm' || c === index.cases[0];
  for await (const o of driveScales(backend, steps, { previews: false, captureLogits: c.logit_rows, finalImage: image })) outs.push(o);
  steps.release();
  const tf = compareTeacherForced(g, outs, { image });
  const w = tf.worst;
  report(!tf.problems.length, `Infinity ${c.name} on ${device} teacher-forced: logits ${w.logitsRel.toExponential(1)} rel, next inputs ${w.next.toExponential(1)}, f̂ ${w.fhat.toExponential(1)}${image ? `, image ${w.image.toExponential(1)}` : ''}`, tf.problems);
  // Free-running greedy.
  const codes = await codesOnly(m.imageSteps(opts, smp));
  const gr = compareGreedy(g, codes, d);
  report(!gr.problems.length, `Infinity ${c.name} on ${device} free-running greedy: bits equal over ${gr.comparedScales} of ${c.scales.length} scales (near ties flipped: ${gr.tiesFlipped})`, gr.problems);
}

// Seeded sampling with top-p: the same codes twice, different with another seed.
{
  const run = async (seed: number) => JSON.stringify(await codesOnly(m.imageSteps({ textFeatures }, { seed, cfg: 3, topK: 0, topP: 0.97, temperature: 0.5 })));
  const [a, b, other] = [await run(7), await run(7), await run(8)];
  report(a === b && a !== other, `Infinity on ${device}, seeded top-p sampling: the same seed gives the same bits, another seed others`);
}
// Memory honesty: an image over the device's limits is refused before anything is allocated, with the numbers.
{
  const expectRefusal = (what: string, code: string, words: RegExp, f: () => unknown) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    const ok = err instanceof NextscaleError && err.code === code && words.test(err.message);
    report(ok, `${what}: ${err instanceof Error ? err.message.slice(0, 160) : 'no error'}`);
  };
  if (ctx) {
    const saved = ctx.limits.maxStorageBufferBindingSize;
    ctx.limits.maxStorageBufferBindingSize = 64 * 2 ** 20;
    expectRefusal('webgpu: a 1024² image whose decoder maps exceed maxStorageBufferBindingSize is refused', 'E_BUFFER_LIMIT', /1024×1024: a VAE decoder activation needs \d+ bytes/, () => m.imageSteps({ textFeatures, resolution: 1024 }, { seed: 0, cfg: 3, topK: 1, topP: 0, temperature: 0.5 }));
    ctx.limits.maxStorageBufferBindingSize = saved;
  } else {
    setWasmMemoryLimit(200 * 2 ** 20);
    expectRefusal('wasm: a 1024² image over a 200 MiB wasm memory is refused', 'E_WASM_OUT_OF_MEMORY', /KV cache .* decoder activations .* for a 1024×1024 image/, () => m.imageSteps({ textFeatures, resolution: 1024 }, { seed: 0, cfg: 3, topK: 1, topP: 0, temperature: 0.5 }));
    setWasmMemoryLimit(60 * 2 ** 20);
    let err: unknown;
    try {
      await loadOnWasm(await wasmRuntime({}), modelFiles);
    } catch (e) {
      err = e;
    }
    setWasmMemoryLimit();
    report(err instanceof NextscaleError && err.code === 'E_WASM_OUT_OF_MEMORY' && /weights .* KV cache/.test(err.message), `wasm: the model over a 60 MiB wasm memory is refused at load: ${(err as Error)?.message?.slice(0, 160)}`);
  }
}
m.destroy();

// The engine, from the .pth files as published: auto picks the CPU backend for Infinity; greedy bits equal the golden.
{
  const engine = new InThreadEngine({ storage: 'memory', fetch: createFileFetch(), ...(ctx ? { gpu: await createNodeGpu(), device: 'webgpu' as const } : {}) });
  const phases = new Set<string>();
  const url = (f: string) => pathToFileURL(join(goldenDir, f)).href;
  const info = await engine.loadModel(url(index.model), { warmUp: false, checkpoint: { vae: url(index.vae) }, onProgress: (p) => phases.add(p.phase) });
  const c = index.cases[0];
  const g = readInfinityGolden(c, read(c.tensors), d);
  const r = await engine.generateImage({ textFeatures, seed: 0, cfg: c.cfg, topK: 1, topP: 0, temperature: c.tau, previews: false });
  const gr = compareGreedy(g, r.codes, d);
  report(!gr.problems.length && info.family === 'infinity' && info.device.backend === device && phases.has('convert') && r.image.width === 256,
    `engine.loadModel(infinity_d2.pth, { checkpoint: { vae } }) on ${info.device.backend} (${info.device.reason}): greedy bits equal the golden over ${gr.comparedScales} scales; image ${r.image.width}×${r.image.height}`, gr.problems);
  await engine.dispose();
}
ctx?.destroy();
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
