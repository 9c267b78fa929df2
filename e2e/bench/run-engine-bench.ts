/**
 * `npm run bench:engine [seeds] [warmup]`: the whole default model (models/nextscale-tiny) in headless
 * Chromium, generator in the page's thread, on WebGPU (SwiftShader where there is no GPU) and on the CPU
 * backend (onnxruntime-web wasm EP, with its MatMul ceiling), against the PyTorch reference
 * (tools/bench_torch.py, a preview decode per scale like nextscale's) on this CPU in the same run, and
 * the demo page's time to ready (first load and reload from the cache) under ?device=auto and webgpu. Time to first preview,
 * per-scale forward+sampling and preview times, whole image, peak GPU memory (weights + pool peak),
 * and transformer GFLOP/s against the fma_peak roofline from docs/bench/kernels.json (written by
 * bench:kernels just before, in `npm run bench`). Writes docs/bench/engine.json and engine.svg.
 */
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { chromiumLaunch } from '../../playwright.config';
import type { EngineBenchImage } from './engine-page';

const MODEL = 'models/nextscale-tiny';
const PROMPT = 'a large red circle in the center on a blue background';
const nSeeds = Number(process.argv[2] ?? 3);
const warmup = Number(process.argv[3] ?? 1);
const seeds = Array.from({ length: nSeeds }, (_, i) => i);
const PORT = Number(process.env.NEXTSCALE_ENGINE_BENCH_PORT ?? 5217);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

// Transformer FLOPs per scale (both CFG rows): projections, GLU MLP, attention over the cache, image-code head.
function flopsPerScale(promptLen: number): number[] {
  const c = JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8'));
  const a = c.architecture;
  const scales: number[] = c.image.scales;
  const D = a.dim, hd = a.head_dim, H = a.heads, KV = a.kv_heads, F = a.ffn;
  const V = c.image.codebook_size;
  const perTok = a.layers * 2 * (D * H * hd * 2 + D * KV * hd * 2 + 3 * D * F) + 2 * D * V;
  let ctxLen = promptLen + 2;
  return scales.map((s, i) => {
    const n = i === 0 ? promptLen + 2 : s * s;
    if (i > 0) ctxLen += n;
    return 2 * n * (perTok + a.layers * 4 * H * hd * ctxLen);
  });
}

// 1. PyTorch reference, before the browser so the two never share the CPU.
console.log(`PyTorch reference (${cpus().length} threads): ${nSeeds} images after ${warmup} warm-up…`);
const torch = JSON.parse(execFileSync('/usr/bin/python3', ['tools/bench_torch.py', MODEL, PROMPT, seeds.join(','), String(warmup)], { encoding: 'utf8' }).trim().split('\n').pop()!) as { threads: number; torch: string; imagesMs: number[]; imagesWithPreviewsMs: number[] };

// ONNX export of the same transformer (full-sequence recompute per scale) and the inputs of one generation.
console.log('Exporting the transformer to ONNX (.cache/bench/)…');
const onnxInfo = JSON.parse(execFileSync('/usr/bin/python3', ['tools/bench_onnx.py', MODEL, PROMPT, String(seeds[0]), '.cache/bench'], { encoding: 'utf8' }).trim().split('\n').pop()!) as { steps: number; lengths: number[] };
const onnxB64 = onnxInfo.lengths.map((_, i) => readFileSync(`.cache/bench/transformer_s${i}.onnx`).toString('base64'));
const ortSteps = JSON.parse(readFileSync('.cache/bench/inputs.json', 'utf8'));

// 2. nextscale in headless Chromium, then onnxruntime-web in the same browser session.
const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'warn', server: { port: PORT, strictPort: true, hmr: false, watch: { ignored: ['**/*'] } } });
await server.listen();
let res: Awaited<ReturnType<Window['__nextscaleEngineBench']>>;
let wasm: Awaited<ReturnType<Window['__nextscaleWasmBench']>>;
let ortKv: Awaited<ReturnType<Window['__nextscaleWasmBench']>> | undefined;
let ort: { stepMs: number[][] } = { stepMs: [] };
const pageReady: { device: string; backend: string; firstMs: number; reloadMs: number }[] = [];
let chromiumVersion = '';
let wasmCeiling = { gflops: NaN, threads: 0 };
try {
  const browser = await chromium.launch(chromiumLaunch);
  chromiumVersion = browser.version();
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`[page] ${m.text()}`));
  await page.goto(`http://localhost:${PORT}/e2e/bench/engine.html`);
  await page.waitForFunction(() => typeof window.__nextscaleEngineBench === 'function', undefined, { timeout: 120_000 });
  page.setDefaultTimeout(0);
  console.log(`nextscale in headless Chromium: ${nSeeds} images after ${warmup} warm-up…`);
  res = await page.evaluate((o) => window.__nextscaleEngineBench(o), { model: MODEL, prompt: PROMPT, seeds, warmup });
  console.log(`nextscale CPU backend (onnxruntime-web wasm EP) in the same page: ${nSeeds} images after ${warmup} warm-up…`);
  wasm = await page.evaluate((o) => window.__nextscaleWasmBench(o), { model: MODEL, prompt: PROMPT, seeds, warmup });
  wasmCeiling = await page.evaluate(() => window.__nextscaleWasmCeiling({ n: 1024, reps: 5 }));
  console.log(`the same graphs (KV-cached step, VQ decoder) on onnxruntime-web's WebGPU EP: ${nSeeds} images after ${warmup} warm-up…`);
  ortKv = await page.evaluate((o) => window.__nextscaleWasmBench(o), { model: MODEL, prompt: PROMPT, seeds, warmup, ep: 'webgpu' as const });
  console.log(`wasm EP ceiling: MatMul 1024³ f32 at ${wasmCeiling.gflops.toFixed(1)} GFLOP/s (${wasmCeiling.threads} threads)`);
  console.log(`onnxruntime-web WebGPU EP: ${nSeeds} generations' transformer passes after 1 warm-up…`);
  ort = await page.evaluate((o) => window.__nextscaleOrtBench(o), { onnxB64, steps: ortSteps, reps: nSeeds });
  // The demo page as a user meets it: navigation to 'ready' (download, graphs or shader compiles), then a
  // reload with the weights in IndexedDB, under ?device=auto and ?device=webgpu.
  for (const device of ['auto', 'webgpu']) {
    const ctx = await browser.newContext();
    const demo = await ctx.newPage();
    const ready = async (go: () => Promise<unknown>) => {
      const t0 = Date.now();
      await go();
      await demo.waitForFunction(() => ['ready', 'error', 'no-webgpu'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 300_000 });
      const state = await demo.evaluate(() => document.body.dataset.state);
      if (state !== 'ready') throw new Error(`the demo (?device=${device}) ended in state ${state}`);
      return Date.now() - t0;
    };
    const firstMs = await ready(() => demo.goto(`http://localhost:${PORT}/?device=${device}`));
    const reloadMs = await ready(() => demo.reload());
    const backend = await demo.evaluate(() => (globalThis as unknown as { nextscaleDemo: { info: { device: { backend: string } } } }).nextscaleDemo.info.device.backend);
    pageReady.push({ device, backend, firstMs, reloadMs });
    console.log(`demo page ?device=${device} (${backend}): ready in ${firstMs} ms on first load, ${reloadMs} ms on a reload from the cache`);
    await ctx.close();
  }
  await browser.close();
} finally {
  await server.close();
}

const promptLen = JSON.parse(readFileSync(`${MODEL}/tokenizer.json`, 'utf8')) && PROMPT.split(/\s+/).length; // word-level tokenizer
const flops = flopsPerScale(promptLen);
const kernels = existsSync('docs/bench/kernels.json') ? JSON.parse(readFileSync('docs/bench/kernels.json', 'utf8')) : undefined;
const roofline: number | undefined = kernels?.rooflineGflops || undefined;
const imgs: EngineBenchImage[] = res.images;
const S = imgs[0].scales.length;
const perScale = Array.from({ length: S }, (_, i) => {
  const fwd = mean(imgs.map((m) => m.scales[i].forwardMs));
  const gflops = flops[i] / fwd / 1e6;
  const ortMs = mean(ort.stepMs.map((r) => r[i]));
  return { scale: i, grid: imgs[0].scales[i].grid, ortMs, ortSeqLen: onnxInfo.lengths[i], forwardMs: fwd, previewMs: mean(imgs.map((m) => m.scales[i].previewMs)), transformerGflop: flops[i] / 1e9, gflops, rooflineFraction: roofline ? gflops / roofline : undefined };
});
const nsMs = mean(imgs.map((m) => m.totalMs));
// The same work as nextscale's: a preview decode after every scale (PyTorch without them: pytorchNoPreviewsMs).
const ptMs = mean(torch.imagesWithPreviewsMs);
const fwdTotal = perScale.reduce((a, s) => a + s.forwardMs, 0);
const ortTotal = perScale.reduce((a, s) => a + s.ortMs, 0);
const flopsTotal = () => flops.reduce((a, b) => a + b, 0);
const wImgs = wasm!.images;
const wasmMs = mean(wImgs.map((m) => m.totalMs));
const wasmPerScale = Array.from({ length: S }, (_, i) => {
  const fwd = mean(wImgs.map((m) => m.scales[i].forwardMs));
  return { scale: i, forwardMs: fwd, previewMs: mean(wImgs.map((m) => m.scales[i].previewMs)), gflops: flops[i] / fwd / 1e6 };
});
const wasmFwd = wasmPerScale.reduce((a, s) => a + s.forwardMs, 0);
const wasmSummary = {
  threads: wasm!.threads,
  threadsWhy: wasm!.threadsWhy,
  loadMs: wasm!.loadMs,
  firstPreviewMs: mean(wImgs.map((m) => m.firstPreviewMs)),
  imageMs: wasmMs,
  forwardTotalMs: wasmFwd,
  transformerGflops: flopsTotal() / wasmFwd / 1e6,
  ceilingGflops: wasmCeiling.gflops,
  ceilingFraction: flopsTotal() / wasmFwd / 1e6 / wasmCeiling.gflops,
  speedupVsWebgpu: mean(imgs.map((m) => m.totalMs)) / wasmMs,
  ratioVsPytorch: wasmMs / mean(torch.imagesWithPreviewsMs),
};
const ortKvSummary = ortKv && {
  mode: 'the CPU backend\'s graphs (KV-cached step with its cache as inputs/outputs, VQ decoder) on the WebGPU EP; outputs and the cache read back to the CPU every step',
  loadMs: ortKv.loadMs,
  imageMs: mean(ortKv.images.map((m) => m.totalMs)),
  firstPreviewMs: mean(ortKv.images.map((m) => m.firstPreviewMs)),
  forwardTotalMs: Array.from({ length: S }, (_, i) => mean(ortKv!.images.map((m) => m.scales[i].forwardMs))).reduce((a, b) => a + b, 0),
  perScaleForwardMs: Array.from({ length: S }, (_, i) => mean(ortKv!.images.map((m) => m.scales[i].forwardMs))),
};
const summary = {
  firstPreviewMs: mean(imgs.map((m) => m.firstPreviewMs)),
  imageMs: nsMs,
  forwardTotalMs: fwdTotal,
  transformerGflops: flopsTotal() / fwdTotal / 1e6,
  rooflineGflops: roofline,
  peakGpuBytes: res.weightsBytes + res.poolPeakBytes,
  weightsBytes: res.weightsBytes,
  poolPeakBytes: res.poolPeakBytes,
  pytorchImageMs: ptMs,
  pytorchNoPreviewsMs: mean(torch.imagesMs),
  ratioVsPytorch: nsMs / ptMs,
  ortTransformerMs: ortTotal,
  ratioTransformerVsOrt: fwdTotal / ortTotal,
};

console.log(`\nscale  grid  fwd+sample ms  preview ms  GFLOP/s  % roofline  ORT fwd ms (L)`);
for (const s of perScale) console.log(`${String(s.scale).padStart(5)}  ${String(s.grid).padStart(4)}  ${f(s.forwardMs).padStart(13)}  ${f(s.previewMs).padStart(10)}  ${f(s.gflops, 3).padStart(7)}  ${(s.rooflineFraction === undefined ? '-' : (100 * s.rooflineFraction).toFixed(2)).padStart(10)}  ${f(s.ortMs).padStart(8)} (${s.ortSeqLen})`);
console.log(`\nnextscale (Chromium WebGPU, in-thread): first preview ${f(summary.firstPreviewMs)} ms, image ${f(nsMs)} ms, peak GPU ${(summary.peakGpuBytes / 1e6).toFixed(2)} MB (weights ${(res.weightsBytes / 1e6).toFixed(2)} + pool ${(res.poolPeakBytes / 1e6).toFixed(2)})`);
console.log(`PyTorch ${torch.torch} CPU (${torch.threads} threads): image with previews ${f(ptMs)} ms (without ${f(mean(torch.imagesMs))})  →  nextscale/PyTorch = ${f(summary.ratioVsPytorch, 2)}×`);
console.log(`transformer: ${f(summary.transformerGflops, 3)} GFLOP/s vs fma_peak ${f(roofline, 2)} GFLOP/s`);
console.log(`onnxruntime-web WebGPU EP (recompute, full sequence per scale): transformer ${f(ortTotal)} ms  →  nextscale fwd+sampling / ORT = ${f(summary.ratioTransformerVsOrt, 2)}×`);
if (ortKvSummary) console.log(`onnxruntime-web WebGPU EP, same graphs with a KV cache: image ${f(ortKvSummary.imageMs)} ms (forward+sampling ${f(ortKvSummary.forwardTotalMs)} ms)  →  nextscale WebGPU / ORT WebGPU (KV) = ${f(mean(imgs.map((m) => m.totalMs)) / ortKvSummary.imageMs, 2)}×`);
console.log(`\nnextscale CPU backend (wasm, ${wasmSummary.threads} threads: ${wasmSummary.threadsWhy}): load ${f(wasmSummary.loadMs)} ms, first preview ${f(wasmSummary.firstPreviewMs)} ms, image ${f(wasmMs)} ms`);
console.log(`  per scale fwd+sample ms: ${wasmPerScale.map((s) => f(s.forwardMs)).join(', ')}; preview ms: ${wasmPerScale.map((s) => f(s.previewMs)).join(', ')}`);
console.log(`  wasm vs WebGPU (SwiftShader here): ${f(wasmSummary.speedupVsWebgpu, 1)}× faster; wasm/PyTorch = ${f(wasmSummary.ratioVsPytorch, 2)}×; transformer ${f(wasmSummary.transformerGflops, 2)} GFLOP/s = ${f(100 * wasmSummary.ceilingFraction, 1)} % of the wasm MatMul ceiling (${f(wasmCeiling.gflops, 1)})`);

// Chart: per-scale stacked bars (forward+sampling, preview) for nextscale, PyTorch whole image as a line.
const W = 600, Hh = 260, L = 50, B = 30, max = Math.max(...perScale.map((s) => Math.max(s.forwardMs + s.previewMs, s.ortMs || 0))) * 1.15;
const bw = (W - L - 20) / S;
const y = (v: number) => Hh - B - (v / max) * (Hh - B - 30);
const bars = perScale.map((s, i) => {
  const x = L + i * bw + 6;
  const ox = x + (bw - 12) / 2;
  const ortBar = Number.isFinite(s.ortMs) ? `<rect x="${ox}" y="${y(s.ortMs)}" width="${(bw - 12) / 2}" height="${y(0) - y(s.ortMs)}" fill="#50a050"/>` : '';
  return `${ortBar}<rect x="${x}" y="${y(s.forwardMs)}" width="${(bw - 12) / 2}" height="${y(0) - y(s.forwardMs)}" fill="#4a7bd0"/><rect x="${x}" y="${y(s.forwardMs + s.previewMs)}" width="${(bw - 12) / 2}" height="${y(s.forwardMs) - y(s.forwardMs + s.previewMs)}" fill="#f0a030"/><text x="${x + (bw - 12) / 2}" y="${Hh - 12}" font-size="11" text-anchor="middle">${s.grid}×${s.grid}</text>`;
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${Hh}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${L}" y="16" font-size="12">nextscale-tiny per-scale ms (Chromium WebGPU/SwiftShader): image ${f(nsMs, 0)} ms; PyTorch CPU ${f(ptMs, 0)} ms</text>
<line x1="${L}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#000"/><line x1="${L}" y1="${y(0)}" x2="${L}" y2="24" stroke="#000"/>
<text x="${L - 4}" y="${y(max / 1.15)}" font-size="10" text-anchor="end">${f(max / 1.15, 0)}</text><text x="${L - 4}" y="${y(0)}" font-size="10" text-anchor="end">0</text>
${bars.join('\n')}
<rect x="${W - 200}" y="28" width="10" height="10" fill="#4a7bd0"/><text x="${W - 186}" y="37" font-size="11">forward + sampling</text>
<rect x="${W - 200}" y="44" width="10" height="10" fill="#f0a030"/><text x="${W - 186}" y="53" font-size="11">preview decode</text>
<rect x="${W - 200}" y="60" width="10" height="10" fill="#50a050"/><text x="${W - 186}" y="69" font-size="11">ORT WebGPU forward (recompute)</text>
</svg>
`;
// Only a run with the default seeds and warm-up writes docs/bench/ (a shorter trial run goes to .cache/bench/).
const outDir = process.argv.length > 2 ? '.cache/bench' : 'docs/bench';
mkdirSync(outDir, { recursive: true });
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const ortVersion = JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version as string;
writeFileSync(`${outDir}/engine.json`, `${JSON.stringify({ date: new Date().toISOString(), commit, versions: { chromium: chromiumVersion, onnxruntimeWeb: ortVersion, torch: torch.torch }, model: MODEL, prompt: PROMPT, seeds, warmup, runtime: 'chromium headless, generator in-thread', adapter: res.adapter, summary, perScale, images: imgs, wasm: { summary: wasmSummary, perScale: wasmPerScale, images: wImgs }, pageReady, ortWebgpuKv: ortKvSummary, pytorch: torch, ort: { mode: 'full-sequence recompute per scale, opset 17, fp32, one static-shape graph per scale, logits read back', ...onnxInfo, stepMs: ort.stepMs } }, null, 2)}\n`);
writeFileSync(`${outDir}/engine.svg`, svg);
console.log(`wrote ${outDir}/engine.json, ${outDir}/engine.svg`);
process.exit(0);
