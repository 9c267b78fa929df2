/**
 * The in-thread engine: loads a model folder through the store (IndexedDB cache, integrity),
 * puts it on the GPU and runs generation. The worker client (src/worker/) implements the same
 * `Engine` interface by forwarding to one of these inside a Web Worker.
 */
import { createGpuContext, type GpuContext } from '../gpu/device';
import { loadModelFiles, listCachedModels, deleteCachedModel } from '../store';
import { localFilesBase, localFilesFetch } from '../store/local-files';
import { NextFlowModel } from '../models/nextflow/model';
import { generateNextFlowImage } from '../models/nextflow/image-generator';
import { runChat } from '../models/nextflow/chat';
import { VarModel } from '../models/var/model';
import { generateVarImage } from '../models/var/generator';
import type { ByteSource } from '../models/weights';
import type { CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, Engine, GenerateImageOptions, ImageResult, LoadModelOptions, ModelInfo, ScaleEvent } from '../api/types';
import { GpuOutOfMemoryError } from '../api/errors';
import { CancelledError, DeviceLostError, EmptyPromptError, InvalidOptionError, ModelConfigError, PromptTooLongError, UnsupportedTaskError, throwIfAborted } from '../api/errors';

export interface InThreadEngineOptions {
  /** The WebGPU entry point (Node: createNodeGpu()); default navigator.gpu. */
  gpu?: GPU;
  /** 'memory' never touches IndexedDB (Node, tests); default 'idb'. */
  storage?: 'idb' | 'memory';
  /** Custom fetch, e.g. one that reads a local model directory (CLI). */
  fetch?: typeof globalThis.fetch;
}

/** One small generation with the model's own sampling settings, so every pipeline it uses is compiled. */
async function warmUp(ctx: GpuContext, m: NextFlowModel, signal?: AbortSignal): Promise<void> {
  const s = m.config.sampling;
  const gen = generateNextFlowImage(ctx, m, { promptIds: [m.config.vocab.textStart], seed: 0, cfg: s.cfg, topK: s.topK, topP: s.topP, temperature: s.temperature, previews: true, signal });
  for await (const _ of gen) throwIfAborted(signal, 'Loading the model');
}

type LoadedModel = NextFlowModel | VarModel;

/** The scale loop of either family, as one stream of per-scale outputs. */
function scaleStream(ctx: GpuContext, m: LoadedModel, opts: GenerateImageOptions, s: { seed: number; cfg: number; topK: number; topP: number; temperature: number }) {
  const common = { ...s, previews: opts.previews ?? true, signal: opts.signal };
  if (m instanceof VarModel) {
    const n = m.config.arch.numClasses;
    const label = opts.classLabel;
    if (label === undefined || !Number.isInteger(label) || label < 0 || label >= n) throw new InvalidOptionError('classLabel', label, `an integer class in [0, ${n}) (VAR models are class-conditional)`);
    return generateVarImage(ctx, m, { ...common, classLabel: label });
  }
  const prompt = (opts.prompt ?? '').trim();
  if (!prompt) throw new EmptyPromptError();
  const promptIds = m.tokenizer.encode(prompt);
  if (promptIds.length > m.config.maxTextTokens) throw new PromptTooLongError(promptIds.length, m.config.maxTextTokens);
  return generateNextFlowImage(ctx, m, { ...common, promptIds });
}

export class InThreadEngine implements Engine {
  private ctx: GpuContext | null = null;
  private lostError: DeviceLostError | null = null;
  private model: LoadedModel | null = null;
  private info: ModelInfo | null = null;
  /** One GPU job at a time: generations queue behind each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private opts: InThreadEngineOptions = {}) {}

  private async gpu(): Promise<GpuContext> {
    if (this.lostError) throw this.lostError;
    if (!this.ctx) {
      const ctx = await createGpuContext({ gpu: this.opts.gpu });
      ctx.lost.then((e) => {
        if (this.ctx === ctx) {
          this.lostError = e;
          this.model = null;
          this.ctx = null;
        }
      });
      this.ctx = ctx;
    }
    return this.ctx;
  }

  private serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async loadModel(urlOrId: string, o: LoadModelOptions = {}): Promise<ModelInfo> {
    return this.serialize(async () => {
      const ctx = await this.gpu();
      const local = o.files?.length ? localFilesBase(urlOrId) : undefined;
      const files = await loadModelFiles(local ?? urlOrId, {
        onProgress: o.onProgress,
        signal: o.signal,
        fetch: local ? localFilesFetch(o.files!, local, this.opts.fetch) : this.opts.fetch,
        storage: this.opts.storage === 'memory' ? null : undefined,
      });
      throwIfAborted(o.signal, 'Loading the model');
      const config = files.config as { family?: string; files?: { tokenizer?: string } } | undefined;
      if (!config) throw new ModelConfigError('the manifest does not list config.json');
      if (config.family !== 'nextflow' && config.family !== 'var') throw new ModelConfigError(`model family "${String(config.family)}" is not supported (this engine runs "nextflow" and "var")`);
      const tokPath = config.files?.tokenizer;
      const weights = new Map<string, ByteSource>();
      for (const [path, f] of files.files) weights.set(path, f);
      this.model?.destroy();
      this.model = null;
      // Weight buffers that do not fit surface as an out-of-memory error scope, not as an exception.
      ctx.device.pushErrorScope('out-of-memory');
      let model: LoadedModel | undefined;
      let loadError: unknown;
      try {
        model = config.family === 'var' ? VarModel.load(ctx, { config, weights }) : NextFlowModel.load(ctx, { config, tokenizer: tokPath ? files.files.get(tokPath)?.json() : undefined, weights });
      } catch (e) {
        loadError = e;
      }
      if (await ctx.device.popErrorScope()) {
        model?.destroy();
        throw new GpuOutOfMemoryError(`The model "${files.id}"`, [...files.files.values()].reduce((a, f) => a + f.size, 0));
      }
      if (!model) throw loadError;
      if (model instanceof NextFlowModel && (o.warmUp ?? true)) {
        o.onProgress?.({ phase: 'warmup', loadedBytes: files.downloadedBytes, totalBytes: files.downloadedBytes, percent: 100, fromCache: files.fromCache });
        await warmUp(ctx, model, o.signal);
      }
      o.onProgress?.({ phase: 'ready', loadedBytes: files.downloadedBytes, totalBytes: files.downloadedBytes, percent: 100, fromCache: files.fromCache });
      this.model = model;
      const base = { id: files.id, gpuBytes: model.gpuBytes, cached: files.cached, note: files.note };
      if (model instanceof VarModel) {
        const c = model.config;
        this.info = {
          ...base, name: c.name, family: 'var', imageSize: c.imageSize, scales: c.scales, conditioning: 'class',
          canCaption: false, canSeeImages: false, contextLength: 0, sampling: c.sampling, classNames: c.classNames ?? undefined,
        };
      } else {
        const c = model.config;
        this.info = {
          ...base, name: c.name, family: 'nextflow', imageSize: c.vq.imageSize, scales: c.vq.scales, conditioning: 'text',
          canCaption: true, canSeeImages: model.canSeeImages, contextLength: c.contextLength, sampling: c.sampling,
        };
      }
      return this.info;
    });
  }

  async generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult> {
    return this.serialize(async () => {
      const m = this.model;
      if (this.lostError) throw this.lostError;
      if (!m) throw new ModelConfigError('no model is loaded; call loadModel() first');
      const d = m.config.sampling;
      const cfg = opts.cfg ?? d.cfg;
      const topK = opts.topK ?? d.topK;
      const topP = opts.topP ?? d.topP;
      const temperature = opts.temperature ?? d.temperature;
      const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
      if (!(cfg >= 0) || !Number.isFinite(cfg)) throw new InvalidOptionError('cfg', cfg, 'a number ≥ 0');
      if (!Number.isInteger(topK) || topK < 0) throw new InvalidOptionError('topK', topK, 'an integer ≥ 0 (0 = off)');
      if (!(topP >= 0 && topP <= 1)) throw new InvalidOptionError('topP', topP, 'a number in [0, 1] (0 or 1 = off)');
      if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new InvalidOptionError('temperature', temperature, 'a number ≥ 0 (0 = greedy)');
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InvalidOptionError('seed', seed, 'an integer in [0, 2^32)');
      throwIfAborted(opts.signal, 'Image generation');
      const ctx = await this.gpu();
      const t0 = performance.now();
      const codes: number[][] = [];
      const perScaleMs: number[] = [];
      let firstPreviewMs = 0;
      let last: Uint8ClampedArray | undefined;
      const size = m instanceof VarModel ? m.config.imageSize : m.config.vq.imageSize;
      const S = m instanceof VarModel ? m.config.scales.length : m.config.vq.scales.length;
      const stream = scaleStream(ctx, m, opts, { seed, cfg, topK, topP, temperature });
      try {
        for await (const out of stream) {
          codes.push(out.codes);
          perScaleMs.push(out.forwardMs + out.previewMs);
          const elapsedMs = performance.now() - t0;
          if (out.rgba) {
            last = out.rgba;
            if (!firstPreviewMs) firstPreviewMs = elapsedMs;
          }
          onEvent?.({
            type: 'scale',
            scale: out.scale,
            scales: S,
            grid: out.grid,
            codes: out.codes,
            preview: out.rgba ? { width: size, height: size, data: out.rgba.slice() } : undefined,
            timings: { forwardMs: out.forwardMs, previewMs: out.previewMs, elapsedMs },
          });
        }
      } catch (e) {
        if (opts.signal?.aborted && !(e instanceof CancelledError)) throw new CancelledError('Image generation');
        throw e;
      }
      if (!last) throw new Error('generation produced no image');
      return { image: { width: size, height: size, data: last }, codes, seed, timings: { totalMs: performance.now() - t0, firstPreviewMs, perScaleMs } };
    });
  }

  async chat(messages: ChatMessage[], opts: ChatOptions = {}, onEvent?: (e: ChatEvent) => void): Promise<ChatReply> {
    return this.serialize(async () => {
      const m = this.model;
      if (this.lostError) throw this.lostError;
      if (!m) throw new ModelConfigError('no model is loaded; call loadModel() first');
      if (m instanceof VarModel) throw new UnsupportedTaskError(m.config.name, 'chat', 'VAR models are class-conditional image generators: call generateImage({ classLabel }).');
      return runChat(await this.gpu(), m, messages, opts, onEvent);
    });
  }

  listCachedModels(): Promise<CachedModel[]> {
    return listCachedModels();
  }

  deleteCachedModel(id: string): Promise<void> {
    return deleteCachedModel(id);
  }

  async dispose(): Promise<void> {
    await this.queue;
    this.model?.destroy();
    this.model = null;
    this.ctx?.destroy();
    this.ctx = null;
  }
}
