// Browser side of the recovery tests (e2e/recovery.spec.ts): a GPU process crash (Chromium's
// --enable-gpu-benchmarking crashGpuProcess) while generating and while idle, with the in-thread engine;
// and a worker that throws mid-generation, with the worker engine. Each returns a plain summary.
import { InThreadEngine } from '../../src/engine/engine';
import { WorkerEngine } from '../../src/worker/client';
import type { Engine, ImageResult } from '../../src/api/types';

const MODEL = '/models/nextscale-tiny/';
const crashGpu = () => (globalThis as unknown as { chrome: { gpuBenchmarking: { crashGpuProcess(): void } } }).chrome.gpuBenchmarking.crashGpuProcess();
const err = (e: unknown) => ({ name: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message });
const gen = (engine: Engine, onScale?: () => void): Promise<ImageResult> =>
  engine.generateImage({ prompt: 'a small red circle at the top left on a white background', seed: 5, previews: false }, onScale);

async function deviceLoss() {
  const engine = new InThreadEngine({ storage: 'memory', device: 'webgpu' });
  await engine.loadModel(MODEL, { warmUp: false });
  const before = await gen(engine);
  let midError: unknown;
  let crashed = false;
  try {
    await gen(engine, () => {
      if (!crashed) crashGpu();
      crashed = true;
    });
  } catch (e) {
    midError = e;
  }
  const afterMid = await gen(engine);
  crashGpu(); // while idle
  await new Promise((r) => setTimeout(r, 500));
  const afterIdle = await gen(engine);
  await engine.dispose();
  return {
    midError: midError ? err(midError) : null,
    afterMid: { same: JSON.stringify(afterMid.codes) === JSON.stringify(before.codes), deviceReset: !!afterMid.deviceReset },
    afterIdle: { same: JSON.stringify(afterIdle.codes) === JSON.stringify(before.codes), deviceReset: !!afterIdle.deviceReset },
  };
}

async function workerCrash() {
  const spawn = () => new Worker(new URL('./crash-worker.ts', import.meta.url), { type: 'module', name: 'nextscale-engine' });
  let spawned = 0;
  const engine = new WorkerEngine({ worker: spawn(), createWorker: () => (spawned++, spawn()), device: 'webgpu' });
  await engine.loadModel(MODEL, { warmUp: false });
  const before = await gen(engine);
  let midError: unknown;
  let sent = false;
  try {
    await gen(engine, () => {
      if (!sent) new BroadcastChannel('nextscale-crash').postMessage('crash');
      sent = true;
    });
  } catch (e) {
    midError = e;
  }
  const after = await gen(engine);
  await engine.dispose();
  engine.terminate();
  return { midError: midError ? err(midError) : null, spawned, same: JSON.stringify(after.codes) === JSON.stringify(before.codes) };
}

(globalThis as unknown as { recovery: unknown }).recovery = { deviceLoss, workerCrash };
document.getElementById('log')!.textContent = 'ready';
