/**
 * Opening a model in Node for the CLI's commands: a model folder (or URL) through the same store as
 * the browser, on Dawn through the npm "webgpu" package.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InThreadEngine } from '../engine/engine';
import { LocalModelError } from '../api/errors';
import type { Device, LoadProgress, ModelInfo } from '../api/types';
import { availableParallelism } from 'node:os';
import { createNodeGpu } from '../gpu/node-gpu';
import { createFileFetch } from './file-fetch';
import { isCheckpointSource } from '../store/model-url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_MODEL_DIR = join(REPO, 'models', 'nextscale-tiny');

/** A URL for the store: http(s) as given, a directory as a file: URL ending in '/'. */
export function modelLocation(model: string | undefined): string {
  if (model && isCheckpointSource(model)) return checkpointLocation(model);
  if (model && /^https?:\/\//i.test(model)) return model.endsWith('/') ? model : `${model}/`;
  const dir = resolve(model ?? DEFAULT_MODEL_DIR);
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new LocalModelError(
      model === undefined
        ? `The bundled model is missing: ${dir} has no manifest.json. Export it (python3 tools/export.py, see the README) or pass --model <dir|url>.`
        : `No model at ${dir}: the folder has no manifest.json. Pass a model folder (config.json, *.safetensors, manifest.json) or its URL.`,
    );
  }
  return pathToFileURL(dir).href + '/';
}

/** A .pth checkpoint: a URL or hub name as given, a file path as a file: URL (it must exist). */
export function checkpointLocation(file: string): string {
  if (/^(https?:|hf:)/i.test(file)) return file;
  const path = resolve(file);
  if (!existsSync(path)) throw new LocalModelError(`No checkpoint at ${path}. Pass the path or URL of an official checkpoint (var_d16.pth, infinity_125M_256x256.pth), or "hf:FoundationVision/var/var_d16.pth".`);
  return pathToFileURL(path).href;
}

/** A WebGPU entry point with no adapter: what `auto` sees where Dawn cannot start. */
const NO_GPU = { requestAdapter: async () => null } as unknown as GPU;

function mb(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MB`;
}

/** An engine with the model at `model` loaded (Node, WebGPU through Dawn, files read from disk). */
export async function openEngine(model: string | undefined, signal: AbortSignal, log: (s: string) => void, opts: { vae?: string; scales?: number[]; dtype?: 'f16' | 'int8' | 'f32'; device?: Device } = {}): Promise<{ engine: InThreadEngine; info: ModelInfo }> {
  const location = modelLocation(model);
  const device = opts.device ?? 'auto';
  // Dawn's Vulkan loader complains on stderr without one; it only needs a writable directory.
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // --device wasm never starts Dawn; auto asks it for an adapter (a missing "webgpu" package or driver means no adapter).
  const gpu = device === 'wasm' ? undefined : await (device === 'auto' ? createNodeGpu().catch(() => undefined) : createNodeGpu());
  const engine = new InThreadEngine({ gpu: gpu ?? NO_GPU, storage: 'memory', fetch: createFileFetch(), device, wasm: { threads: availableParallelism() } });
  try {
    let last: LoadProgress | undefined;
    const checkpoint = opts.vae || opts.scales || opts.dtype ? { vae: opts.vae && checkpointLocation(opts.vae), scales: opts.scales, dtype: opts.dtype } : undefined;
    let converting = false;
    const info = await engine.loadModel(location, {
      signal, warmUp: false, checkpoint,
      onProgress: (p) => {
        if (p.phase === 'convert' && !converting) log(`converting ${model} (official checkpoint → nextscale, tensor by tensor)…`);
        converting ||= p.phase === 'convert';
        if (p.phase !== 'convert') last = p.totalBytes ? p : last ?? p;
      },
    });
    const d = info.device;
    log(`device: ${d.backend}${d.threads ? ` (${d.threads} thread${d.threads > 1 ? 's' : ''})` : ''}${d.adapter ? ` on ${d.adapter}` : ''}: ${d.reason}`);
    log(`model ${info.name} (${info.imageSize}×${info.imageSize}, scales ${info.scales.join(',')}) from ${location}${last ? `, ${mb(last.totalBytes)}` : ''}`);
    return { engine, info };
  } catch (e) {
    await engine.dispose().catch(() => {});
    throw e;
  }
}
