/**
 * `npm run bench:var [depth=16]`: a full-size random-init VAR-d16 (official key layout, from
 * tools/reference/var.py) with the released VAE shape (ch 160), converted by tools/convert_var.py to
 * f16 shards, then ONE class-conditional 256×256 generation in Node through Dawn (SwiftShader where
 * there is no GPU). Reports conversion time, load time, per-scale forward+sampling, the VAE decode,
 * GPU memory (weights + activation pool peak), process RSS, and GFLOP/s against the fma_peak roofline
 * of docs/bench/kernels.json, and the same image through tools/bench_var_torch.py (PyTorch CPU) as the peer. Not part of CI (minutes on a CPU). Writes docs/bench/var-d16.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { VarModel } from '../../src/models/var/model';
import { VarImageSteps } from '../../src/models/var/generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales } from '../../src/engine/scale-driver';
import type { ByteSource } from '../../src/models/weights';
import { localDirFetch, LOCAL_BASE } from '../node/local-fetch';

const depth = Number(process.argv[2] ?? 16);
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
const ctx = await createGpuContext({ gpu: await createNodeGpu() });
let t = performance.now();
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
const model = VarModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>([...files.files]) });
timings.loadS = (performance.now() - t) / 1000;
const c = model.config;
console.log(`loaded ${c.name}: ${(model.gpuBytes / 2 ** 20).toFixed(0)} MiB of weights on the GPU in ${timings.loadS.toFixed(1)} s`);
const scales: Array<{ scale: number; grid: number; forwardMs: number }> = [];
let decodeMs = 0;
t = performance.now();
const steps = new VarImageSteps(ctx, model, 207, { seed: 0, cfg: c.sampling.cfg, topK: c.sampling.topK, topP: c.sampling.topP, temperature: 1 });
for await (const o of driveScales(new WebGpuBackend(ctx), steps, { previews: false })) {
  scales.push({ scale: o.scale, grid: o.grid, forwardMs: o.forwardMs });
  decodeMs = o.previewMs;
  sampleRss();
  console.log(`scale ${o.scale + 1}/${c.scales.length} (${o.grid}×${o.grid}): forward+sampling ${o.forwardMs.toFixed(0)} ms${o.rgba ? `, VAE decode ${o.previewMs.toFixed(0)} ms` : ''}`);
}
const totalMs = performance.now() - t;
clearInterval(rssTimer);
// VAR_SPEC.md §6: transformer GFLOP per image (B = 1, both CFG rows) and the VAE decoder at 256².
const TRANSFORMER_GFLOP: Record<number, number> = { 16: 601, 20: 1151, 24: 1964, 30: 3790 };
const DECODER_GFLOP = 393;
const kernels = existsSync('docs/bench/kernels.json') ? JSON.parse(readFileSync('docs/bench/kernels.json', 'utf8')) : undefined;
const roofline: number | undefined = kernels?.rooflineGflops;
const fwdMs = scales.reduce((a, s) => a + s.forwardMs, 0);
const tGflops = TRANSFORMER_GFLOP[depth] ? TRANSFORMER_GFLOP[depth] / (fwdMs / 1000) : undefined;
const dGflops = DECODER_GFLOP / (decodeMs / 1000);
// The peer on the same work: our PyTorch reference on this CPU, same checkpoint files.
let peer: Record<string, number> | undefined;
try {
  peer = JSON.parse(execFileSync(PY, ['tools/bench_var_torch.py', '--dir', dir], { encoding: 'utf8' }).trim().split('\n').pop()!);
} catch (e) {
  console.warn(`PyTorch peer skipped: ${(e as Error).message.split('\n')[0]}`);
}
const summary = {
  date: new Date().toISOString(),
  adapter: ctx.adapterInfo ?? undefined,
  model: c.name,
  depth,
  imageSize: c.imageSize,
  timings: { ...timings, transformerMs: fwdMs, vaeDecodeMs: decodeMs, imageMs: totalMs },
  perScale: scales,
  gpuBytes: { weights: model.gpuBytes, poolPeak: ctx.pool.peakBytes, total: model.gpuBytes + ctx.pool.peakBytes },
  processRssPeakBytes: rssPeak,
  gflops: { transformer: tGflops, vaeDecoder: dGflops, roofline },
  peer,
  ratios: peer ? { nextscaleOverPytorchImage: totalMs / 1000 / peer.image_s } : undefined,
};
mkdirSync('docs/bench', { recursive: true });
writeFileSync(`docs/bench/var-d${depth}.json`, JSON.stringify(summary, null, 1) + '\n');
console.log(`\nimage ${(totalMs / 1000).toFixed(1)} s = transformer ${(fwdMs / 1000).toFixed(1)} s (${tGflops?.toFixed(2) ?? '-'} GFLOP/s) + VAE decode ${(decodeMs / 1000).toFixed(1)} s (${dGflops.toFixed(2)} GFLOP/s); roofline ${roofline?.toFixed(2) ?? '-'} GFLOP/s`);
if (peer) console.log(`PyTorch CPU (${peer.threads} threads): image ${peer.image_s.toFixed(1)} s → nextscale/PyTorch = ${(totalMs / 1000 / peer.image_s).toFixed(1)}×`);
console.log(`GPU memory ${(summary.gpuBytes.total / 2 ** 20).toFixed(0)} MiB (weights ${(model.gpuBytes / 2 ** 20).toFixed(0)} + activations ${(ctx.pool.peakBytes / 2 ** 20).toFixed(0)}), process RSS peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`);
model.destroy();
ctx.destroy();
process.exit(0);
