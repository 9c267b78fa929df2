/**
 * WorkerEngine: the Engine interface, served by an engine in a Web Worker (src/worker/worker-entry.ts)
 * through Comlink. Callers use it exactly like the in-thread engine: same options, events, results
 * and typed errors (rebuilt by class on this side), while every GPU dispatch stays off the main thread.
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { Device, CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, Engine, GenerateImageOptions, ImageResult, LoadModelOptions, MemoryInfo, ModelInfo, ScaleEvent, TextCheck } from '../api/types';
import { CancelledError, WorkerCrashedError } from '../api/errors';
import { installErrorTransfer } from './errors';
import { checkDevice } from '../engine/device-choice';
import { ortBaseUrl } from './ort-base';
import { isCheckpointSource, resolveCheckpointUrl, resolveModelUrl } from '../store/model-url';
import type { EngineHost } from './host';

export interface WorkerEngineOptions {
  /** A worker running worker-entry.ts (createEngine() makes one; the library bundles its own inline). */
  worker: Worker;
  /**
   * Makes a fresh worker after a crash: the call in flight fails with WorkerCrashedError, and the next
   * call starts a new worker and loads the last model in it again (from the IndexedDB cache). Without it,
   * every call after a crash fails with that error.
   */
  createWorker?: () => Worker;
  /** Where models run unless loadModel says otherwise (default 'auto'). */
  device?: Device;
  /** The URL of the folder with onnxruntime-web's ort-wasm-simd-threaded.{mjs,wasm} (default: beside this script). */
  wasmPaths?: string;
}

export class WorkerEngine implements Engine {
  private worker!: Worker;
  private remote!: Remote<EngineHost>;
  private nextId = 1;
  private crashed?: WorkerCrashedError;
  private terminated = false;
  private readonly pending = new Set<(e: Error) => void>();
  /** The last successful load, to repeat in a new worker after a crash. */
  private respawning?: Promise<void>;
  private lastLoad?: { target: string; opts: Omit<LoadModelOptions, 'signal' | 'onProgress'> };

  constructor(private readonly opts: WorkerEngineOptions) {
    checkDevice(opts.device);
    installErrorTransfer();
    this.attach(opts.worker);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    this.remote = wrap<EngineHost>(worker);
    // First message: where the CPU backend's .wasm files are (resolved here, on the page).
    void this.remote.setup({ wasmPaths: this.opts.wasmPaths ?? ortBaseUrl() }).catch(() => {});
    // Comlink never settles calls to a dead worker; fail them with a typed error instead of hanging.
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      if (worker === this.worker) this.fail(ev.message || 'the worker script failed to load or threw at top level');
    });
    worker.addEventListener('messageerror', () => worker === this.worker && this.fail('a message could not be deserialized'));
  }

  /** After a crash: a new worker, with the last model loaded in it again. */
  private async respawn(): Promise<void> {
    const dead = this.worker;
    this.crashed = undefined;
    this.attach(this.opts.createWorker!());
    dead.terminate();
    const last = this.lastLoad;
    if (last) await this.call(undefined, 'Loading the model again after the worker crashed', (id) => this.remote.loadModel(last.target, last.opts, id, undefined));
  }

  async loadModel(urlOrId: string, opts: LoadModelOptions = {}): Promise<ModelInfo> {
    const { onProgress, signal, ...rest } = opts;
    rest.device = checkDevice(rest.device ?? this.opts.device);
    // Resolved here, on the page: in the worker, relative paths would resolve against the worker's script.
    // A checkpoint (.pth) stays a file URL, and its VAE too; a folder or id resolves to a folder URL.
    const target = rest.files?.length ? urlOrId : isCheckpointSource(urlOrId) ? resolveCheckpointUrl(urlOrId) : resolveModelUrl(urlOrId);
    if (rest.checkpoint?.vae && !rest.files?.length) rest.checkpoint = { ...rest.checkpoint, vae: resolveCheckpointUrl(rest.checkpoint.vae) };
    if (rest.vae && !rest.files?.length) rest.vae = resolveCheckpointUrl(rest.vae);
    const info = await this.call(signal, 'Loading the model', (id) =>
      this.remote.loadModel(target, rest, id, onProgress ? proxy(onProgress) : undefined),
    );
    this.lastLoad = { target, opts: rest };
    return info;
  }

  generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult> {
    const { signal, ...rest } = opts;
    return this.call(signal, 'Generating the image', (id) => this.remote.generateImage(rest, id, onEvent ? proxy(onEvent) : undefined)) as Promise<ImageResult>;
  }

  chat(messages: ChatMessage[], opts: ChatOptions = {}, onEvent?: (e: ChatEvent) => void): Promise<ChatReply> {
    const { signal, ...rest } = opts;
    // A cancelled chat still resolves (with the partial reply); only a request cancelled before it
    // reached the worker throws.
    return this.call(signal, 'Chat', (id) => this.remote.chat(messages, rest, id, onEvent ? proxy(onEvent) : undefined));
  }

  checkText(input: { prompt: string } | { messages: ChatMessage[] }): Promise<TextCheck> {
    return this.call(undefined, '', () => this.remote.checkText(input));
  }

  listCachedModels(): Promise<CachedModel[]> {
    return this.call(undefined, '', () => this.remote.listCachedModels());
  }

  memory(): Promise<MemoryInfo> {
    return this.call(undefined, '', () => this.remote.memory());
  }

  deleteCachedModel(id: string): Promise<void> {
    return this.call(undefined, '', () => this.remote.deleteCachedModel(id));
  }

  /** Frees the GPU resources in the worker; the worker stays and can load a model again. */
  dispose(): Promise<void> {
    return this.call(undefined, '', () => this.remote.dispose());
  }

  /** Stop the worker for good (dispose() first to free the GPU cleanly). */
  terminate(): void {
    this.terminated = true;
    this.worker.terminate();
    this.fail('terminate() was called');
  }

  /** One remote call: forwards cancellation by request id and fails fast if the worker dies. */
  private async call<T>(signal: AbortSignal | undefined, what: string, fn: (requestId: number) => Promise<T>): Promise<T> {
    if (this.crashed && this.opts.createWorker && !this.terminated) await (this.respawning ??= this.respawn().finally(() => (this.respawning = undefined)));
    if (this.crashed) throw this.crashed;
    if (signal?.aborted) throw new CancelledError(what);
    const id = this.nextId++;
    const onAbort = () => void this.remote.cancel(id).catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    let reject!: (e: Error) => void;
    const dead = new Promise<never>((_, r) => (reject = r));
    this.pending.add(reject);
    try {
      return await Promise.race([fn(id), dead]);
    } finally {
      this.pending.delete(reject);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private fail(detail: string): void {
    this.crashed ??= new WorkerCrashedError(detail);
    for (const reject of this.pending) reject(this.crashed);
    this.pending.clear();
  }
}
