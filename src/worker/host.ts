/**
 * The worker side of WorkerEngine: wraps an in-thread Engine so that it can be driven through
 * Comlink. AbortSignals cannot cross postMessage, so each call carries a request id and the client
 * cancels by id; images travel as transferred buffers instead of copies.
 */
import { transfer, releaseProxy, type Remote } from 'comlink';
import { configureWasmRuntime } from '../backends/wasm/runtime';
import type { CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, Engine, GenerateImageOptions, ImageResult, LoadModelOptions, LoadProgress, MemoryInfo, ModelInfo, ScaleEvent, TextCheck } from '../api/types';

/** A main-thread callback; in the worker it is a Comlink proxy whose calls return promises. */
type RemoteCallback<T> = ((v: T) => void) | undefined;

export type HostLoadOptions = Omit<LoadModelOptions, 'onProgress' | 'signal'>;
export type HostGenerateOptions = Omit<GenerateImageOptions, 'signal'>;
export type HostChatOptions = Omit<ChatOptions, 'signal'>;

export class EngineHost {
  private readonly controllers = new Map<number, AbortController>();
  /** Ids cancelled before their call arrived (kept small: ids are only ever cancelled once). */
  private readonly cancelledEarly = new Set<number>();

  constructor(private readonly engine: Engine) {}

  /** Sent by the client before any other call: where onnxruntime's .wasm files are (a blob worker cannot resolve them itself). */
  setup(o: { wasmPaths?: string }): void {
    configureWasmRuntime({ wasmPaths: o.wasmPaths });
  }

  async loadModel(urlOrId: string, opts: HostLoadOptions, requestId: number, onProgress?: RemoteCallback<LoadProgress>): Promise<ModelInfo> {
    return this.run(requestId, onProgress, (signal, fire) =>
      this.engine.loadModel(urlOrId, { ...opts, signal, onProgress: onProgress && ((p) => fire(p)) }),
    );
  }

  async generateImage(opts: HostGenerateOptions, requestId: number, onEvent?: RemoteCallback<ScaleEvent>): Promise<ImageResult> {
    const result = await this.run(requestId, onEvent, (signal, fire) =>
      this.engine.generateImage({ ...opts, signal }, onEvent && ((e) => fire(withTransfer(e)))),
    );
    const buf = result.image.data.buffer;
    return buf instanceof ArrayBuffer ? transfer(result, [buf]) : result;
  }

  async chat(messages: ChatMessage[], opts: HostChatOptions, requestId: number, onEvent?: RemoteCallback<ChatEvent>): Promise<ChatReply> {
    return this.run(requestId, onEvent, (signal, fire) =>
      this.engine.chat(messages, { ...opts, signal }, onEvent && ((e) => fire(e.type === 'image-scale' ? { ...e, scale: withTransfer(e.scale) } : e))),
    );
  }

  cancel(requestId: number): void {
    const c = this.controllers.get(requestId);
    if (c) c.abort();
    else this.cancelledEarly.add(requestId);
  }

  checkText(input: { prompt: string } | { messages: ChatMessage[] }): Promise<TextCheck> {
    return this.engine.checkText(input);
  }

  memory(): Promise<MemoryInfo> {
    return this.engine.memory();
  }

  listCachedModels(): Promise<CachedModel[]> {
    return this.engine.listCachedModels();
  }

  deleteCachedModel(id: string): Promise<void> {
    return this.engine.deleteCachedModel(id);
  }

  dispose(): Promise<void> {
    for (const c of this.controllers.values()) c.abort();
    return this.engine.dispose();
  }

  /**
   * Run one request with its own AbortController. Callback calls do not block the engine, but the
   * request settles only after every one was delivered: they travel on the proxy's own channel,
   * which is not ordered with the reply.
   */
  private async run<T, C>(
    requestId: number,
    callback: RemoteCallback<C>,
    fn: (signal: AbortSignal, fire: (v: C) => void) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    if (this.cancelledEarly.delete(requestId)) controller.abort();
    this.controllers.set(requestId, controller);
    const delivered: Promise<unknown>[] = [];
    const fire = (v: C) => {
      // A throwing callback is the caller's business, not the run's.
      delivered.push(Promise.resolve().then(() => callback!(v)).catch(() => {}));
    };
    try {
      return await fn(controller.signal, fire);
    } finally {
      await Promise.all(delivered);
      this.controllers.delete(requestId);
      (callback as Remote<(v: C) => void> | undefined)?.[releaseProxy]();
    }
  }
}

/**
 * Hand a preview's pixels to the main thread without a copy. The last scale's preview is copied
 * instead: an engine may return that same buffer as the final image, which must stay usable here.
 */
function withTransfer(e: ScaleEvent): ScaleEvent {
  const p = e.preview;
  if (!p) return e;
  const whole = p.data.byteOffset === 0 && p.data.byteLength === p.data.buffer.byteLength;
  if (e.scale === e.scales - 1 || !whole || !(p.data.buffer instanceof ArrayBuffer)) return e;
  return transfer(e, [p.data.buffer]);
}
