// Browser side of the engine benchmark (run-engine-bench.ts calls window.__nextscaleEngineBench).
// The generator runs in the page's thread (no worker): the same GPU path as InThreadEngine.
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { NextFlowModel } from '../../src/models/nextflow/model';
import { NextFlowImageSteps } from '../../src/models/nextflow/image-generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales } from '../../src/engine/scale-driver';
import type { ByteSource } from '../../src/models/weights';
import { wasmRuntime, type WasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { imageSampling } from '../../src/engine/sampling-options';
import { wasmMatmulCeiling } from './onnx-matmul';

export interface EngineBenchImage {
  seed: number;
  totalMs: number;
  firstPreviewMs: number;
  scales: { scale: number; grid: number; forwardMs: number; previewMs: number }[];
}

declare global {
  interface Window {
    __nextscaleEngineBench(o: { model: string; prompt: string; seeds: number[]; warmup: number }): Promise<{ adapter: unknown; weightsBytes: number; poolPeakBytes: number; images: EngineBenchImage[] }>;
  }
}

window.__nextscaleEngineBench = async ({ model: dir, prompt, seeds, warmup }) => {
  const ctx = await createGpuContext();
  const files = await loadModelFiles(`/${dir}/`, { storage: null });
  const cfgFile = files.config as { files: { tokenizer: string } };
  const model = NextFlowModel.load(ctx, { config: files.config, tokenizer: files.files.get(cfgFile.files.tokenizer)!.json(), weights: new Map<string, ByteSource>([...files.files]) });
  const d = model.config.sampling;
  const promptIds = model.tokenizer.encode(prompt);
  const run = async (seed: number): Promise<EngineBenchImage> => {
    const t0 = performance.now();
    let firstPreviewMs = 0;
    const scales: EngineBenchImage['scales'] = [];
    const steps = new NextFlowImageSteps(ctx, model, promptIds, { seed, cfg: d.cfg, topK: d.topK, topP: d.topP, temperature: d.temperature });
    for await (const o of driveScales(new WebGpuBackend(ctx), steps, { previews: true })) {
      if (!firstPreviewMs) firstPreviewMs = performance.now() - t0;
      scales.push({ scale: o.scale, grid: o.grid, forwardMs: o.forwardMs, previewMs: o.previewMs });
    }
    steps.release();
    return { seed, totalMs: performance.now() - t0, firstPreviewMs, scales };
  };
  for (let i = 0; i < warmup; i++) await run(1000 + i);
  ctx.pool.peakBytes = ctx.pool.liveBytes;
  const images: EngineBenchImage[] = [];
  for (const s of seeds) images.push(await run(s));
  const out = { adapter: ctx.adapterInfo, weightsBytes: model.gpuBytes, poolPeakBytes: ctx.pool.peakBytes, images };
  model.destroy();
  ctx.destroy();
  return out;
};
// The same images on the CPU backend (onnxruntime-web wasm EP, in the page's thread): the model loaded
// by the engine's own loader, the same prompt, seeds, sampling defaults and previews.
declare global {
  interface Window {
    __nextscaleWasmBench(o: { model: string; prompt: string; seeds: number[]; warmup: number; ep?: 'wasm' | 'webgpu' }): Promise<{ threads: number; threadsWhy: string; loadMs: number; images: EngineBenchImage[] }>;
  }
}
window.__nextscaleWasmBench = async ({ model: dir, prompt, seeds, warmup, ep }) => {
  const files = await loadModelFiles(`/${dir}/`, { storage: null });
  const t0 = performance.now();
  // ep 'webgpu': the same graphs (the KV-cached step, the VQ decoder) and glue on onnxruntime-web's WebGPU EP,
  // each step's outputs (logits, the KV cache) read back to the CPU as the CPU backend's sequence expects.
  const rt = ep === 'webgpu' ? await ortWebgpuRuntime() : await wasmRuntime({ wasmPaths: '/node_modules/onnxruntime-web/dist/' });
  const m = await loadOnWasm(rt, { config: files.config as Record<string, unknown>, json: (p) => files.files.get(p)?.json(), files: files.files });
  const loadMs = performance.now() - t0;
  const backend = new WasmBackend(rt);
  const run = async (seed: number): Promise<EngineBenchImage> => {
    const t1 = performance.now();
    let firstPreviewMs = 0;
    const scales: EngineBenchImage['scales'] = [];
    const steps = m.imageSteps({ prompt, seed }, imageSampling({ seed }, m.sampling));
    for await (const o of driveScales(backend, steps, { previews: true })) {
      if (!firstPreviewMs) firstPreviewMs = performance.now() - t1;
      scales.push({ scale: o.scale, grid: o.grid, forwardMs: o.forwardMs, previewMs: o.previewMs });
    }
    steps.release();
    return { seed, totalMs: performance.now() - t1, firstPreviewMs, scales };
  };
  for (let i = 0; i < warmup; i++) await run(1000 + i);
  const images: EngineBenchImage[] = [];
  for (const s of seeds) images.push(await run(s));
  m.destroy();
  return { threads: rt.threads, threadsWhy: rt.threadsWhy, loadMs, images };
};
/** A runtime whose sessions run on onnxruntime-web's WebGPU EP (its own build, loaded from node_modules). */
async function ortWebgpuRuntime(): Promise<WasmRuntime> {
  const { loadOrt } = await import('./onnx-matmul');
  const ort = await loadOrt();
  return {
    ort: ort as WasmRuntime['ort'],
    threads: 0,
    threadsWhy: 'onnxruntime-web WebGPU EP',
    session: (graph: Uint8Array) => ort.InferenceSession.create(graph, { executionProviders: ['webgpu'] }) as ReturnType<WasmRuntime['session']>,
  };
}

// The wasm EP's measured ceiling on this machine: one 1024³ f32 MatMul on the same runtime (threads, SIMD).
declare global {
  interface Window {
    __nextscaleWasmCeiling(o: { n: number; reps: number }): Promise<{ gflops: number; threads: number }>;
  }
}
window.__nextscaleWasmCeiling = async ({ n, reps }) => {
  const rt = await wasmRuntime({ wasmPaths: '/node_modules/onnxruntime-web/dist/' });
  return { gflops: await wasmMatmulCeiling(rt, n, reps), threads: rt.threads };
};
document.getElementById('log')!.textContent = 'ready';

// onnxruntime-web (WebGPU EP) on the exported transformer: a full-sequence forward per scale (recompute),
// fed the exact inputs the PyTorch reference built for one generation (tools/bench_onnx.py).
type OrtStep = Record<string, { dims: number[]; dtype: 'int64' | 'float32'; data: number[] }>;
declare global {
  interface Window {
    __nextscaleOrtBench(o: { onnxB64: string[]; steps: OrtStep[]; reps: number }): Promise<{ stepMs: number[][] }>;
  }
}
window.__nextscaleOrtBench = async ({ onnxB64, steps, reps }) => {
  const { loadOrt } = await import('./onnx-matmul');
  const ort = await loadOrt();
  const sessions = [];
  for (const b of onnxB64) sessions.push(await ort.InferenceSession.create(Uint8Array.from(atob(b), (c) => c.charCodeAt(0)), { executionProviders: ['webgpu'] }));
  const feeds = steps.map((s) => Object.fromEntries(Object.entries(s).map(([k, t]) => [k, t.dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(t.data.map((x) => BigInt(x))), t.dims) : new ort.Tensor('float32', Float32Array.from(t.data), t.dims)])));
  const stepMs: number[][] = [];
  for (let r = 0; r < reps + 1; r++) {
    const row: number[] = [];
    for (const [i, f] of feeds.entries()) {
      const t0 = performance.now();
      const out = await sessions[i].run(f); // outputs come back to the CPU: the time includes the logits readback
      row.push(performance.now() - t0);
      for (const v of Object.values(out)) v.dispose?.();
    }
    if (r > 0) stepMs.push(row); // rep 0 is the warm-up (shader compilation)
  }
  for (const s of sessions) await s.release();
  return { stepMs };
};
