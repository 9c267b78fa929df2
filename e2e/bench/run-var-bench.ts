/**
 * `npm run bench:var [depth=16] [--only wasm,webgpu,pytorch]`: a full-size random-init VAR-d16 (official
 * key layout, from tools/reference/var.py) with the released VAE shape (ch 160), converted by
 * tools/convert_var.py to f16 shards, then ONE class-conditional 256×256 generation (class 207, seed 0)
 * per peer in one run: the CPU backend (onnxruntime-web wasm EP, all cores), WebGPU through Dawn
 * (SwiftShader where there is no GPU), and tools/bench_var_torch.py (PyTorch CPU) on the same files.
 * Reports load time, per-scale forward+sampling, the VAE decode, memory, GFLOP/s (WebGPU against the
 * fma_peak roofline of docs/bench/kernels.json) and whether wasm and WebGPU drew the same codes. Not
 * part of CI (the WebGPU image takes minutes on a CPU). A full run writes docs/bench/var-d16.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { VarModel } from '../../src/models/var/model';
import { VarImageSteps } from '../../src/models/var/generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales } from '../../src/engine/scale-driver';
import type { ByteSource } from '../../src/models/weights';
import { localDirFetch, LOCAL_BASE } from '../node/local-fetch';
import type { Backend } from '../../src/backends/backend';
import type { ImageSteps } from '../../src/models/family';
import type { VarConfig } from '../../src/models/var/config';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { wasmMatmulCeiling } from './onnx-matmul';

const depth = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 16);
// --only wasm,webgpu,pytorch picks peers (a filtered run); the default runs all three.
const only = process.argv.indexOf('--only');
const devices = only > 0 ? process.argv[only + 1].split(',') : ['wasm', 'webgpu', 'pytorch'];
const dir = join('.cache', 'bench', `var-d${depth}`);
const modelDir = join(dir, 'model');
const PY = '/usr/bin/python3';
let rssPeak = 0;
const sampleRss = () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss));
const rssTimer = setInterval(sampleRss, 200);

const timings: Record<string, number> = {};
if (!existsSync(join(modelDir, 'manifest.json'))) {
  mkdirSync(dir, { recursive: true });
  let t = performance.now();
  execFileSync(PY, ['tools/reference/var.py', '--depth', String(depth), '--out', join(dir, `var_d${depth}.pth`), '--vae-out', join(dir, 'vae_ch160v4096z32.pth')], { stdio: 'inherit' });
  timings.randomInitS = (performance.now() - t) / 1000;
  t = performance.now();
  execFileSync(PY, ['tools/convert_var.py', '--var', join(dir, `var_d${depth}.pth`), '--vae', join(dir, 'vae_ch160v4096z32.pth'), '--out', modelDir, '--dtype', 'f16'], { stdio: 'inherit' });
  timings.convertS = (performance.now() - t) / 1000;
}
interface BackendRun {
  backend: string;
  loadS: number;
  perScale: Array<{ scale: number; grid: number; forwardMs: number }>;
  transformerMs: number;
  vaeDecodeMs: number;
  imageMs: number;
  codes: number[][];
  memory: Record<string, number>;
}

/** One 256² image (class 207, seed 0, the model's sampling) through the scale driver on `backend`. */
async function timeImage<W, O>(name: string, backend: Backend<W, O>, steps: ImageSteps<W, O>, loadS: number, memory: () => Record<string, number>): Promise<BackendRun> {
  const perScale: BackendRun['perScale'] = [];
  const codes: number[][] = [];
  let decodeMs = 0;
  const t0 = performance.now();
  for await (const o of driveScales(backend, steps, { previews: false })) {
    perScale.push({ scale: o.scale, grid: o.grid, forwardMs: o.forwardMs });
    codes.push(o.codes);
    decodeMs = o.previewMs;
    sampleRss();
    console.log(`  ${name} scale ${o.scale + 1}/${steps.grids.length} (${o.grid}×${o.grid}): forward+sampling ${o.forwardMs.toFixed(0)} ms${o.rgba ? `, VAE decode ${o.previewMs.toFixed(0)} ms` : ''}`);
  }
  const imageMs = performance.now() - t0;
  steps.release();
  return { backend: name, loadS, perScale, transformerMs: perScale.reduce((a, x) => a + x.forwardMs, 0), vaeDecodeMs: decodeMs, imageMs, codes, memory: memory() };
}

const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
const runs: BackendRun[] = [];
let adapter: unknown;
let wasmCeilingGflops: number | undefined;
let c: VarConfig | undefined;
if (devices.includes('wasm')) {
  const t = performance.now();
  const rt = await wasmRuntime({ threads: cpus().length });
  wasmCeilingGflops = await wasmMatmulCeiling(rt);
  console.log(`wasm (${rt.threads} threads): MatMul 1024³ at ${wasmCeilingGflops.toFixed(1)} GFLOP/s`);
  const m = await loadOnWasm(rt, { config: files.config as Record<string, unknown>, json: (p) => files.files.get(p)?.json(), files: files.files });
  const loadS = (performance.now() - t) / 1000;
  console.log(`wasm (${rt.threads} threads): ${m.info.name} loaded (graphs built, sessions made) in ${loadS.toFixed(1)} s`);
  const smp = m.sampling;
  runs.push(await timeImage('wasm', new WasmBackend(rt), m.imageSteps({ classLabel: 207, seed: 0 }, { seed: 0, cfg: smp.cfg, topK: smp.topK, topP: smp.topP, temperature: 1 }), loadS, () => ({ processRssPeak: rssPeak })));
  m.destroy();
}
if (devices.includes('webgpu')) {
  const ctx = await createGpuContext({ gpu: await createNodeGpu() });
  adapter = ctx.adapterInfo;
  const t = performance.now();
  const model = VarModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>([...files.files]) });
  const loadS = (performance.now() - t) / 1000;
  c = model.config;
  console.log(`webgpu: loaded ${c.name}: ${(model.gpuBytes / 2 ** 20).toFixed(0)} MiB of weights on the GPU in ${loadS.toFixed(1)} s`);
  const steps = new VarImageSteps(ctx, model, 207, { seed: 0, cfg: c.sampling.cfg, topK: c.sampling.topK, topP: c.sampling.topP, temperature: 1 });
  runs.push(await timeImage('webgpu', new WebGpuBackend(ctx), steps, loadS, () => ({ gpuWeights: model.gpuBytes, gpuPoolPeak: ctx.pool.peakBytes, processRssPeak: rssPeak })));
  model.destroy();
  ctx.destroy();
}
clearInterval(rssTimer);
// VAR_SPEC.md §6: transformer GFLOP per image (B = 1, both CFG rows) and the VAE decoder at 256².
const TRANSFORMER_GFLOP: Record<number, number> = { 16: 601, 20: 1151, 24: 1964, 30: 3790 };
const DECODER_GFLOP = 393;
const kernels = existsSync('docs/bench/kernels.json') ? JSON.parse(readFileSync('docs/bench/kernels.json', 'utf8')) : undefined;
const roofline: number | undefined = kernels?.rooflineGflops;
const gflops = (r: BackendRun) => ({ transformer: TRANSFORMER_GFLOP[depth] ? TRANSFORMER_GFLOP[depth] / (r.transformerMs / 1000) : undefined, vaeDecoder: DECODER_GFLOP / (r.vaeDecodeMs / 1000) });
// The peer on the same work: our PyTorch reference on this CPU, same checkpoint files.
let peer: Record<string, number> | undefined;
if (devices.includes('pytorch')) {
  try {
    peer = JSON.parse(execFileSync(PY, ['tools/bench_var_torch.py', '--dir', dir], { encoding: 'utf8' }).trim().split('\n').pop()!);
  } catch (e) {
    console.warn(`PyTorch peer failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
const byName = Object.fromEntries(runs.map((r) => [r.backend, r]));
const w = byName.wasm;
const g = byName.webgpu;
const codesDiffer = w && g ? w.codes.flat().filter((x, i) => x !== g.codes.flat()[i]).length : undefined;
const summary = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  versions: { node: process.version, dawn: JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')).version, onnxruntimeWeb: JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version },
  devices,
  adapter,
  depth,
  imageSize: c?.imageSize ?? 256,
  timings,
  runs: runs.map((r) => ({ ...r, codes: undefined, gflops: gflops(r), rooflineGflops: r.backend === 'webgpu' ? roofline : wasmCeilingGflops })),
  codesDifferWasmVsWebgpu: codesDiffer,
  peer,
  ratios: {
    webgpuOverWasmImage: w && g ? g.imageMs / w.imageMs : undefined,
    wasmOverPytorchImage: w && peer ? w.imageMs / 1000 / peer.image_s : undefined,
    webgpuOverPytorchImage: g && peer ? g.imageMs / 1000 / peer.image_s : undefined,
  },
};
// Only a run of every peer writes docs/bench/ (a filtered run goes to .cache/bench/).
const full = ['wasm', 'webgpu', 'pytorch'].every((d) => devices.includes(d));
const out = full ? `docs/bench/var-d${depth}.json` : `.cache/bench/var-d${depth}.${devices.join('+')}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 1) + '\n');
console.log('');
for (const r of runs) {
  const gf = gflops(r);
  const ceiling = r.backend === 'webgpu' ? roofline : wasmCeilingGflops;
  console.log(`${r.backend}: image ${(r.imageMs / 1000).toFixed(1)} s = transformer ${(r.transformerMs / 1000).toFixed(1)} s (${gf.transformer?.toFixed(2) ?? '-'} GFLOP/s) + VAE decode ${(r.vaeDecodeMs / 1000).toFixed(1)} s (${gf.vaeDecoder.toFixed(2)} GFLOP/s) against a ceiling of ${ceiling?.toFixed(1) ?? '-'} GFLOP/s; load ${r.loadS.toFixed(1)} s`);
}
if (peer) console.log(`PyTorch CPU (${peer.threads} threads): image ${peer.image_s.toFixed(1)} s`);
if (summary.ratios.webgpuOverWasmImage) console.log(`wasm is ${summary.ratios.webgpuOverWasmImage.toFixed(1)}× faster than WebGPU here; codes that differ: ${codesDiffer}`);
if (summary.ratios.wasmOverPytorchImage) console.log(`wasm/PyTorch = ${summary.ratios.wasmOverPytorchImage.toFixed(2)}×`);
console.log(`wrote ${out}`);
process.exit(0);
