/**
 * One engine per model for the whole page: every API call and element that names the same model
 * shares one worker, one GPU device and one copy of the weights, and the model is loaded once.
 */
import type { Device, Engine, LoadProgress, ModelInfo } from '../api/types';
import { checkDevice } from '../engine/device-choice';
import { CancelledError } from '../api/errors';
import { WorkerEngine } from '../worker/client';
import { createEngineWorker } from '../worker/factory';
import { DEFAULT_MODEL, DEFAULT_MODEL_BASE_URL, isCheckpointSource, resolveCheckpointUrl, resolveModelUrl } from '../store/model-url';

export interface NextscaleConfig {
  /** Where model ids (e.g. "nextscale-tiny") resolve: `${modelBaseUrl}${id}/`. Default "/models/". */
  modelBaseUrl: string;
  /** The model used when none is named. Default "nextscale-tiny". */
  defaultModel: string;
  /** Where models run unless a call or element says otherwise: 'auto' (default), 'webgpu' or 'wasm'. */
  device: Device;
  /** The folder with onnxruntime-web's ort-wasm-simd-threaded.{mjs,wasm} (default: beside the library's script). */
  wasmPaths?: string;
}

const config: NextscaleConfig = { modelBaseUrl: DEFAULT_MODEL_BASE_URL, defaultModel: DEFAULT_MODEL, device: 'auto' };

/** Set the model base URL and default model (call before the first load). */
export function configure(c: Partial<NextscaleConfig>): NextscaleConfig {
  if (c.device !== undefined) checkDevice(c.device);
  Object.assign(config, Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
  return { ...config };
}

/**
 * A model's folder URL: ids resolve against modelBaseUrl; URLs and paths ("/…", "./…", "https://…")
 * are used as they are (relative ones against the page).
 */
export function resolveModel(model?: string | null): string {
  // An official checkpoint (.pth, hf:…) stays a file URL; anything else names a model folder.
  if (model && isCheckpointSource(model)) return resolveCheckpointUrl(model);
  return resolveModelUrl(model, config.modelBaseUrl, config.defaultModel);
}

interface Entry {
  engine: Engine;
  info?: Promise<ModelInfo>;
  listeners: Set<(p: LoadProgress) => void>;
}

const entries = new Map<string, Entry>();

/** One engine per model and device: the same model on 'auto' and on 'wasm' are two engines. */
function entryFor(url: string, device: Device, vae?: string): Entry {
  const key = `${device} ${url}${vae ? ` ${vae}` : ''}`;
  let e = entries.get(key);
  if (!e) {
    e = { engine: new WorkerEngine({ worker: createEngineWorker(), createWorker: createEngineWorker, device, wasmPaths: config.wasmPaths }), listeners: new Set() };
    entries.set(key, e);
  }
  return e;
}

/**
 * The shared engine of `url` with its model loaded (once); progress goes to every waiting caller.
 * `device`: where it runs (default: the configured device, 'auto').
 */
export async function loadShared(url: string, onProgress?: (p: LoadProgress) => void, signal?: AbortSignal, device?: Device | null, vae?: string): Promise<{ engine: Engine; info: ModelInfo }> {
  const e = entryFor(url, checkDevice(device ?? config.device), vae);
  if (onProgress) e.listeners.add(onProgress);
  try {
    e.info ??= e.engine.loadModel(url, { onProgress: (p) => e.listeners.forEach((l) => l(p)), ...(vae ? { vae } : {}) }).catch((err) => {
      e.info = undefined; // the next caller tries again
      throw err;
    });
    const info = await (signal ? raceAbort(e.info, signal) : e.info);
    return { engine: e.engine, info };
  } finally {
    if (onProgress) e.listeners.delete(onProgress);
  }
}

/** An engine for cache operations (the cache is per origin, so any engine of the page will do). */
export function anyEngine(): Engine {
  return entryFor(resolveModel(), config.device).engine;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError('Loading the model'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError('Loading the model'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
