/**
 * `npm run bench:infinity [--only wasm,webgpu,pytorch]`: a random-init Infinity of the 125M's exact shape (12
 * blocks, C 768, 8 heads, text width 2048) with the official d32 VAE's shape (base width 128), written as the
 * official .pth files (tools/bench_infinity_torch.py --write), loaded as published (converted on the fly), then
 * ONE 256² image per peer in one run (the model's sampling: CFG 3, τ 0.5, top-p 0.97, seed 0, text features
 * [16, 2048]): nextscale on the CPU backend (onnxruntime-web's wasm EP, all cores), nextscale on WebGPU (not in
 * this version: recorded as such), and tools/reference/infinity.py on PyTorch CPU on the same files.
 * Reports load, per-scale forward+sampling, the VAE decode and GFLOP/s against the wasm MatMul ceiling
 * measured in the same run. A full run writes docs/bench/infinity-125m.json; a filtered one .cache/bench/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { InThreadEngine } from '../../src/engine/engine';
import { createFileFetch } from '../../src/cli/file-fetch';
import { readTextFeatures } from '../../src/cli/text-features';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { wasmMatmulCeiling } from './onnx-matmul';
import { NextscaleError } from '../../src/api/errors';
import { createNodeGpu } from '../../src/gpu/node-gpu';

const only = process.argv.indexOf('--only');
const devices = only > 0 ? process.argv[only + 1].split(',') : ['wasm', 'webgpu', 'pytorch'];
const dir = join('.cache', 'bench', 'infinity-125m');
const PY = '/usr/bin/python3';
if (!existsSync(join(dir, 'features.safetensors'))) execFileSync(PY, ['tools/bench_infinity_torch.py', '--write', dir], { stdio: 'inherit' });
const url = (f: string) => pathToFileURL(join(dir, f)).href;
const textFeatures = readTextFeatures(join(dir, 'features.safetensors'));
// GFLOP of one 256² image: the transformer's matrices per token and block (qkv, proj, cross-attn q and proj,
// FFN) for 521 tokens × 2 CFG rows, plus attention; the text path once; the decoder's convs (counted from its shapes).
const C = 768;
const blockFlop = 2 * (3 * C * C + C * C + C * C + C * C + 2 * C * 3072);
const transformerGflop = (12 * blockFlop * 521 * 2) / 1e9;

interface Run { backend: string; loadS?: number; imageMs?: number; transformerMs?: number; vaeDecodeMs?: number; perScale?: Array<{ scale: number; grid: number; forwardMs: number }>; note?: string }
const runs: Run[] = [];
let ceiling: number | undefined;
let threads = 0;
for (const backend of devices.filter((d) => d !== 'pytorch')) {
  const gpu = backend === 'webgpu' ? await createNodeGpu() : undefined;
  const engine = new InThreadEngine({ gpu, storage: 'memory', fetch: createFileFetch(), device: backend as 'wasm' | 'webgpu', wasm: { threads: cpus().length } });
  const t = performance.now();
  try {
    const info = await engine.loadModel(url('infinity_125M_256x256.pth'), { warmUp: false, checkpoint: { vae: url('infinity_vae_d32reg.pth') } });
    const loadS = (performance.now() - t) / 1000;
    threads = info.device.threads ?? 0;
    console.log(`${backend}: ${info.name} (${(info.parameters / 1e6).toFixed(1)} M parameters) loaded from the .pth files in ${loadS.toFixed(1)} s`);
    const perScale: Run['perScale'] = [];
    let vaeDecodeMs = 0;
    const t0 = performance.now();
    await engine.generateImage({ textFeatures, seed: 0, previews: false }, (e) => {
      perScale.push({ scale: e.scale, grid: e.grid, forwardMs: e.timings.forwardMs });
      vaeDecodeMs = e.timings.previewMs;
      console.log(`  ${backend} scale ${e.scale + 1}/${e.scales} (${e.grid}×${e.grid}): forward+sampling ${e.timings.forwardMs.toFixed(0)} ms${e.preview ? `, VAE decode ${e.timings.previewMs.toFixed(0)} ms` : ''}`);
    });
    const imageMs = performance.now() - t0;
    runs.push({ backend, loadS, imageMs, transformerMs: perScale.reduce((a, s) => a + s.forwardMs, 0), vaeDecodeMs, perScale });
  } catch (e) {
    if (!(e instanceof NextscaleError)) throw e;
    console.log(`${backend}: ${e.code}: ${e.message}`);
    runs.push({ backend, note: `${e.code}: ${e.message}` });
  }
  await engine.dispose();
}
if (devices.includes('wasm')) {
  ceiling = await wasmMatmulCeiling(await wasmRuntime({ threads: cpus().length }));
}
let peer: Record<string, number> | undefined;
if (devices.includes('pytorch')) peer = JSON.parse(execFileSync(PY, ['tools/bench_infinity_torch.py', '--dir', dir], { encoding: 'utf8' }).trim().split('\n').pop()!);
const decoderGflop = Number(execFileSync(PY, ['-c', `
import sys; sys.path.insert(0, 'tools')
import torch
from reference import infinity as r
n = [0]
def hook(m, i, o):
    n[0] += 2 * o.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
v = r.BsqVae(128, 32)
for m in v.modules():
    if isinstance(m, torch.nn.Conv2d): m.register_forward_hook(hook)
with torch.no_grad(): v.decoder(torch.zeros(1, 32, 16, 16))
print(n[0] / 1e9)`], { encoding: 'utf8' }).trim());
const w = runs.find((r) => r.backend === 'wasm' && r.imageMs);
const summary = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  versions: { node: process.version, onnxruntimeWeb: JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version, torch: execFileSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim() },
  model: 'random-init Infinity of the 125M shape (12 blocks, C 768, 8 heads, text 2048) + the d32 VAE shape (base 128), 256² 1:1, 521 tokens',
  devices, threads,
  gflop: { transformer: transformerGflop, vaeDecoder: decoderGflop },
  wasmMatmulCeilingGflops: ceiling,
  runs: runs.map((r) => ({ ...r, gflops: r.transformerMs ? { transformer: transformerGflop / (r.transformerMs / 1000), vaeDecoder: decoderGflop / (r.vaeDecodeMs! / 1000) } : undefined })),
  peer,
  ratios: { wasmOverPytorchImage: w && peer ? w.imageMs! / 1000 / peer.image_s : undefined },
};
const full = ['wasm', 'webgpu', 'pytorch'].every((d) => devices.includes(d));
const out = full ? 'docs/bench/infinity-125m.json' : `.cache/bench/infinity-125m.${devices.join('+')}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 1) + '\n');
console.log('');
for (const r of summary.runs) {
  if (!r.imageMs) console.log(`${r.backend}: ${r.note}`);
  else console.log(`${r.backend}: image ${(r.imageMs / 1000).toFixed(2)} s = transformer ${(r.transformerMs! / 1000).toFixed(2)} s (${r.gflops!.transformer.toFixed(1)} GFLOP/s) + VAE decode ${(r.vaeDecodeMs! / 1000).toFixed(2)} s (${r.gflops!.vaeDecoder.toFixed(1)} GFLOP/s) against a wasm MatMul ceiling of ${ceiling?.toFixed(1)} GFLOP/s; load ${r.loadS!.toFixed(1)} s`);
}
if (peer) console.log(`PyTorch CPU (${peer.threads} threads): image ${peer.image_s.toFixed(2)} s = transformer ${peer.transformer_s.toFixed(2)} s + VAE decode ${peer.vae_decode_s.toFixed(2)} s`);
if (summary.ratios.wasmOverPytorchImage) console.log(`wasm/PyTorch = ${summary.ratios.wasmOverPytorchImage.toFixed(2)}×`);
console.log(`wrote ${out}`);
process.exit(0);
