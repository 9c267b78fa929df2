/** Creating an engine: in a Web Worker by default, in the calling thread where Workers are missing. */
import type { Device, Engine } from '../api/types';
import { WorkerEngine, type WorkerEngineOptions } from './client';
import { createEngineWorker } from './factory';

export { WorkerEngine, type WorkerEngineOptions };
export { registerErrorClass, installErrorTransfer } from './errors';

export interface CreateEngineOptions {
  /** Run the engine in a Web Worker (default true; falls back to the calling thread without Workers). */
  worker?: boolean;
  /** Where models run unless loadModel says otherwise: 'auto' (default: WebGPU on a real GPU, else the CPU), 'webgpu' or 'wasm'. */
  device?: Device;
}

export async function createEngine(opts: CreateEngineOptions = {}): Promise<Engine> {
  const useWorker = opts.worker ?? true;
  if (useWorker && typeof Worker !== 'undefined') {
    return new WorkerEngine({ worker: createEngineWorker(), createWorker: createEngineWorker, device: opts.device });
  }
  if (useWorker) console.info('nextscale: Web Workers are not available here; running the engine in this thread.');
  const { InThreadEngine } = await import('../engine/engine');
  return new InThreadEngine({ device: opts.device });
}
