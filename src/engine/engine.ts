/**
 * The in-thread engine: loads a model folder through the store (IndexedDB cache, integrity), puts it
 * on the GPU through its family (models/registry.ts) and runs generation with the drivers
 * (scale-driver.ts, chat-driver.ts) on the backend. It never names a family: what a model can do
 * comes from its registry entry. The worker client (src/worker/) implements the same `Engine`
 * interface by forwarding to one of these inside a Web Worker.
 */
import { createGpuContext, probeAdapter, type GpuContext } from '../gpu/device';
import { loadModelFiles, listCachedModels, deleteCachedModel } from '../store';
import { localFilesBase, localFilesFetch } from '../store/local-files';
import { isCheckpointSource, resolveModelUrl } from '../store/model-url';
import { loadCheckpointModel } from './checkpoint-model';
import { WebGpuBackend } from '../backends/webgpu/backend';
import type { Backend } from '../backends/backend';
import { WasmBackend } from '../backends/wasm/backend';
import { wasmRuntime, type WasmRuntimeOptions } from '../backends/wasm/runtime';
import { hasWasmFamily, loadOnWasm } from '../backends/wasm/families';
import { familyOf } from '../models/registry';
import type { LoadedModel, ModelFiles } from '../models/family';
import type { CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, Device, DeviceInfo, Engine, GenerateImageOptions, ImageResult, LoadModelOptions, MemoryInfo, ModelInfo, ScaleEvent, TextCheck } from '../api/types';
import { checkDevice, chooseDevice } from './device-choice';
import { CancelledError, DeviceLostError, NextscaleError, GpuOutOfMemoryError, ModelConfigError, UnsupportedTaskError, WasmOutOfMemoryError, WebGPUUnavailableError, throwIfAborted } from '../api/errors';
import { driveScales } from './scale-driver';
import { endChatSession, runChat, type ChatSession } from './chat-driver';
import { imageSampling } from './sampling-options';

export interface InThreadEngineOptions {
  /** The WebGPU entry point (Node: createNodeGpu()); default navigator.gpu. */
  gpu?: GPU;
  /** 'memory' never touches IndexedDB (Node, tests); default 'idb'. */
  storage?: 'idb' | 'memory';
  /** Custom fetch, e.g. one that reads a local model directory (CLI). */
  fetch?: typeof globalThis.fetch;
  /** Where model ids (e.g. "nextscale-tiny") resolve: `${modelBaseUrl}${id}/` (default "/models/", see store/model-url.ts). */
  modelBaseUrl?: string;
  /** Where models run unless loadModel says otherwise (default 'auto'). */
  device?: Device;
  /** The CPU backend's threads and where its .wasm files are (default: beside the script). */
  wasm?: WasmRuntimeOptions;
}

/** A loaded model with the backend it runs on. */
interface Active {
  model: LoadedModel<unknown, unknown>;
  backend: Backend<unknown, unknown>;
  device: DeviceInfo;
}

export class InThreadEngine implements Engine {
  private ctx: GpuContext | null = null;
  private backend: WebGpuBackend | null = null;
  private lostError: DeviceLostError | null = null;
  private active: Active | null = null;
  /** The KV cache of the last chat reply: the next turn of the same conversation keeps what it shares. */
  private chatSession: ChatSession<unknown, unknown> = {};
  /** One GPU job at a time: generations queue behind each other. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The last model loaded, to load again on a new device after a device loss (from the cache, not the network). */
  private lastLoad?: { urlOrId: string; opts: LoadModelOptions };
  /** The model was reloaded on a new device after a loss: the next result says so (`deviceReset`), once. */
  private deviceReset = false;

  constructor(private opts: InThreadEngineOptions = {}) {
    checkDevice(opts.device);
  }

  private async gpu(): Promise<WebGpuBackend> {
    if (this.lostError) throw this.lostError;
    if (!this.ctx || !this.backend) {
      const ctx = await this.newContext();
      ctx.lost.then((e) => {
        if (this.ctx === ctx) {
          this.lostError = e;
          if (this.active?.device.backend === 'webgpu') {
            this.chatSession = {};
            this.active = null;
          }
          this.ctx = null;
          this.backend = null;
        }
      });
      this.ctx = ctx;
      this.backend = new WebGpuBackend(ctx);
    }
    return this.backend;
  }

  /**
   * A GPU context. Right after a device loss the browser may still be restarting its GPU process and
   * answer with no adapter for a moment: then wait and ask again (about 3 s in all) before giving up.
   */
  private async newContext(): Promise<GpuContext> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await createGpuContext({ gpu: this.opts.gpu });
      } catch (e) {
        if (!(e instanceof WebGPUUnavailableError) || !this.lastLoad || attempt >= 6) throw e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** Math.min(attempt, 4)));
      }
    }
  }

  private serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The loaded model, on a working device. After a device loss the first call here makes a new device
   * and loads the last model again (from the IndexedDB cache or the picked files; nothing is
   * downloaded again), so one failed request is all a loss costs.
   */
  private async loaded(): Promise<Active> {
    if (this.lostError && this.lastLoad && !this.active) {
      const { urlOrId, opts } = this.lastLoad;
      this.lostError = null;
      await this.load(urlOrId, { files: opts.files, warmUp: opts.warmUp, checkpoint: opts.checkpoint, vae: opts.vae, device: opts.device });
      this.deviceReset = true;
    }
    if (!this.active) throw this.lostError ?? new ModelConfigError('no model is loaded; call loadModel() first');
    return this.active;
  }

  /**
   * The typed error of a request that failed because the device was lost meanwhile: mapAsync aborts
   * first, then `lost` resolves. Only raw (untyped) errors can be that; typed ones pass through at once.
   */
  private async deviceLoss(ctx: GpuContext | null, e: unknown): Promise<DeviceLostError | undefined> {
    if (this.lostError) return this.lostError;
    if (!ctx || e instanceof NextscaleError) return undefined;
    return Promise.race([ctx.lost, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
  }

  private takeReset(): { deviceReset?: true } {
    const r = this.deviceReset;
    this.deviceReset = false;
    return r ? { deviceReset: true } : {};
  }

  async loadModel(urlOrId: string, o: LoadModelOptions = {}): Promise<ModelInfo> {
    return this.serialize(() => this.load(urlOrId, o));
  }

  private async load(urlOrId: string, o: LoadModelOptions): Promise<ModelInfo> {
    const requested = checkDevice(o.device ?? this.opts.device);
    const local = o.files?.length ? localFilesBase(urlOrId) : undefined;
    const fetchFn = local ? localFilesFetch(o.files!, local, this.opts.fetch) : this.opts.fetch;
    const storage = this.opts.storage === 'memory' ? null : undefined;
    const checkpoint = checkpointSource(urlOrId, o, local);
    const files = checkpoint
      ? await loadCheckpointModel(checkpoint.var, checkpoint.options, { fetch: fetchFn ?? globalThis.fetch.bind(globalThis), storage, signal: o.signal, onProgress: o.onProgress })
      : await loadModelFiles(local ?? resolveModelUrl(urlOrId, this.opts.modelBaseUrl), { onProgress: o.onProgress, signal: o.signal, fetch: fetchFn, storage });
    throwIfAborted(o.signal, 'Loading the model');
    const config = files.config as Record<string, unknown> | undefined;
    if (!config) throw new ModelConfigError('the manifest does not list config.json');
    const family = familyOf(config);
    const choice = await chooseDevice(requested, hasWasmFamily(config.family), family.family, () => probeAdapter(this.opts.gpu), family.runsOnWebgpu !== false);
    endChatSession(this.chatSession);
    this.active?.model.destroy();
    this.active = null;
    const modelFiles: ModelFiles = { config, json: (path) => files.files.get(path)?.json(), files: files.files };
    const progress = (phase: 'graphs' | 'warmup' | 'ready') => o.onProgress?.({ phase, loadedBytes: files.downloadedBytes, totalBytes: files.downloadedBytes, percent: 100, fromCache: files.fromCache });
    let active: Active | undefined;
    let reason = choice.reason;
    if (choice.backend === 'wasm') {
      progress('graphs');
      const rt = await wasmRuntime(this.opts.wasm);
      try {
        const model = await loadOnWasm(rt, modelFiles);
        const threadsNote = rt.threads === 1 && /isolated/.test(rt.threadsWhy) ? rt.threadsWhy : undefined;
        active = { model: model as LoadedModel<unknown, unknown>, backend: new WasmBackend(rt) as Backend<unknown, unknown>, device: { backend: 'wasm', requested, reason, threads: rt.threads, ...(threadsNote ? { threadsNote } : {}) } };
      } catch (e) {
        // 'auto' on a software adapter: a model wasm32 cannot hold still runs there, slowly but whole.
        if (!(requested === 'auto' && choice.adapter && e instanceof WasmOutOfMemoryError)) throw e;
        reason = `the model is too large for the CPU backend (wasm32 addresses 4 GiB), so the software GPU adapter (${choice.adapter})`;
      }
    }
    if (!active) {
      this.lostError = null; // loading asks for a working device: a new one after a loss
      const backend = await this.gpu();
      const ctx = backend.ctx;
      // Weight buffers that do not fit surface as an out-of-memory error scope, not as an exception.
      ctx.device.pushErrorScope('out-of-memory');
      let model: LoadedModel | undefined;
      let loadError: unknown;
      try {
        model = family.load(ctx, modelFiles);
      } catch (e) {
        loadError = e;
      }
      if (await ctx.device.popErrorScope()) {
        model?.destroy();
        throw new GpuOutOfMemoryError(`The model "${files.id}"`, [...files.files.values()].reduce((a, f) => a + f.size, 0));
      }
      if (!model) throw loadError;
      const a = ctx.adapterInfo;
      active = { model: model as LoadedModel<unknown, unknown>, backend: backend as Backend<unknown, unknown>, device: { backend: 'webgpu', requested, reason, adapter: choice.adapter ?? ([a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter') } };
      if (model.warmUpSteps && (o.warmUp ?? true)) {
        progress('warmup');
        // One small generation with the model's own sampling settings, so every pipeline it uses is compiled.
        const steps = model.warmUpSteps({ ...model.sampling, seed: 0 });
        try {
          for await (const _ of driveScales(backend, steps, { previews: true, signal: o.signal, what: 'Loading the model' }));
        } finally {
          steps.release();
        }
      }
    }
    await files.markValuesChecked(); // the weights passed the finite-value scan: a cached load skips it
    progress('ready');
    this.active = active;
    this.lastLoad = { urlOrId, opts: { files: o.files, warmUp: o.warmUp, checkpoint: o.checkpoint, vae: o.vae, device: requested } };
    const m = active.model;
    return { ...m.info, id: files.id, gpuBytes: m.gpuBytes, cached: files.cached, note: files.note, device: active.device };
  }

  async generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult> {
    return this.serialize(async () => {
      const { model: m, backend, device } = await this.loaded();
      const smp = imageSampling(opts, m.sampling);
      throwIfAborted(opts.signal, 'Image generation');
      const ctx = device.backend === 'webgpu' ? this.ctx : null;
      const t0 = performance.now();
      const codes: number[][] = [];
      const perScaleMs: number[] = [];
      let firstPreviewMs = 0;
      let last: Uint8ClampedArray | undefined;
      const steps = m.imageSteps(opts, smp);
      const size = steps.imageSize;
      const width = steps.imageWidth ?? size;
      const height = steps.imageHeight ?? size;
      const S = steps.grids.length;
      try {
        for await (const out of driveScales(backend, steps, { previews: opts.previews ?? true, signal: opts.signal })) {
          codes.push(out.codes);
          perScaleMs.push(out.forwardMs + out.previewMs);
          const elapsedMs = performance.now() - t0;
          if (out.rgba) {
            last = out.rgba;
            if (!firstPreviewMs) firstPreviewMs = elapsedMs;
          }
          onEvent?.({
            type: 'scale', scale: out.scale, scales: S, grid: out.grid, ...(steps.shapes ? { shape: out.shape } : {}), codes: out.codes,
            preview: out.rgba ? { width, height, data: out.rgba.slice() } : undefined,
            timings: { forwardMs: out.forwardMs, previewMs: out.previewMs, elapsedMs },
          });
        }
      } catch (e) {
        const lost = await this.deviceLoss(ctx, e);
        if (lost) throw lost;
        if (opts.signal?.aborted && !(e instanceof CancelledError)) throw new CancelledError('Image generation');
        throw e;
      } finally {
        steps.release();
      }
      if (!last) throw new Error('generation produced no image');
      return { image: { width, height, data: last }, codes, seed: smp.seed, timings: { totalMs: performance.now() - t0, firstPreviewMs, perScaleMs }, ...this.takeReset() };
    });
  }

  async chat(messages: ChatMessage[], opts: ChatOptions = {}, onEvent?: (e: ChatEvent) => void): Promise<ChatReply> {
    return this.serialize(async () => {
      const { model: m, backend, device } = await this.loaded();
      if (!m.chat) {
        const hint = m.info.conditioning === 'class' ? 'It is a class-conditional image generator: call generateImage({ classLabel }).' : 'It is an image generator: call generateImage().';
        throw new UnsupportedTaskError(m.info.name, 'chat', hint);
      }
      const ctx = device.backend === 'webgpu' ? this.ctx : null;
      try {
        return { ...(await runChat(backend, m, messages, opts, onEvent, undefined, this.chatSession)), ...this.takeReset() };
      } catch (e) {
        throw (await this.deviceLoss(ctx, e)) ?? e;
      }
    });
  }

  async checkText(input: { prompt: string } | { messages: ChatMessage[] }): Promise<TextCheck> {
    const m = this.active?.model;
    if (!m) throw new ModelConfigError('no model is loaded; call loadModel() first');
    if ('prompt' in input) {
      if (!m.promptTokens) throw new UnsupportedTaskError(m.info.name, 'read text prompts', 'It is class-conditional: pick a class label instead.');
      return { tokens: m.promptTokens(input.prompt), limit: m.info.maxPromptTokens, unknown: m.unknownWords?.(input.prompt) ?? [] };
    }
    if (!m.chatTokens) throw new UnsupportedTaskError(m.info.name, 'chat', 'It is an image generator: call generateImage().');
    const lastUser = [...input.messages].reverse().find((x) => x.role === 'user');
    const text = lastUser?.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ') ?? '';
    return { tokens: m.chatTokens(input.messages), limit: m.info.contextLength, unknown: m.unknownWords?.(text) ?? [] };
  }

  listCachedModels(): Promise<CachedModel[]> {
    return listCachedModels();
  }

  async memory(): Promise<MemoryInfo> {
    const pool = this.ctx?.pool;
    return { weightsBytes: this.active?.model.gpuBytes ?? 0, poolLiveBytes: pool?.liveBytes ?? 0, poolPeakBytes: pool?.peakBytes ?? 0, poolFreeBytes: pool?.freeBytes ?? 0 };
  }

  deleteCachedModel(id: string): Promise<void> {
    return deleteCachedModel(id);
  }

  async dispose(): Promise<void> {
    await this.queue;
    endChatSession(this.chatSession);
    this.active?.model.destroy();
    this.active = null;
    this.ctx?.destroy();
    this.ctx = null;
    this.backend = null;
  }
}

/**
 * The official VAR checkpoint a load names, if any: a .pth URL, path or hub name; or, among picked files, the
 * transformer's .pth (the VAE is the picked vae*.pth, or the one the options name).
 */
function checkpointSource(urlOrId: string, o: LoadModelOptions, local?: string): { var: string; options: NonNullable<LoadModelOptions['checkpoint']> } | undefined {
  const options = { ...(o.checkpoint ?? {}), ...(o.vae !== undefined ? { vae: o.vae } : {}) };
  if (local) {
    const pths = (o.files ?? []).filter((f) => /\.pth$/i.test(f.name));
    if (!pths.length) return undefined;
    const vae = pths.find((f) => /(^|[_-])vae/i.test(f.name)); // vae_ch160v4096z32.pth, infinity_vae_d32reg.pth
    const main = pths.find((f) => f !== vae);
    if (!main) return undefined;
    return { var: local + encodeURIComponent(main.name), options: { ...options, vae: options.vae ?? (vae ? local + encodeURIComponent(vae.name) : undefined) } };
  }
  return isCheckpointSource(urlOrId) ? { var: urlOrId, options } : undefined;
}
