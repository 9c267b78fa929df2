/**
 * The library API: functions over the page's shared worker engines (shared.ts). Each call names its
 * model (an id resolved against the configured base URL, or a URL); without one the default model
 * is used. Results come as browser types (ImageBitmap, PNG Blob) and streams as async iterators.
 */
import type { Device, CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, GenerateImageOptions, ImageResult, LoadProgress, ModelInfo, ScaleEvent } from '../api/types';
import { EventStream } from './event-stream';
import { toImageBitmap, toPngBlob } from './images';
import { anyEngine, loadShared, resolveModel } from './shared';

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Where it runs: 'auto' (default: the configured device), 'webgpu' or 'wasm'. */
  device?: Device;
  /** An official checkpoint's VAE .pth (default: the published one beside the model's .pth). */
  vae?: string;
}

/** Load a model (once per page; later calls share it). `urlOrId`: a model id, a folder URL or path. */
export async function loadModel(urlOrId?: string, opts: LoadOptions = {}): Promise<ModelInfo> {
  return (await loadShared(resolveModel(urlOrId), opts.onProgress, opts.signal, opts.device, opts.vae)).info;
}

export interface GeneratedImage extends ImageResult {
  bitmap: ImageBitmap;
  png: Blob;
}

/**
 * A running generation: `for await (const e of gen)` yields one ScaleEvent per scale (coarse to
 * fine, with a preview); `await gen.result` gives the final image. Abort with `signal`.
 */
export interface ImageGeneration extends AsyncIterable<ScaleEvent> {
  result: Promise<GeneratedImage>;
}

export function generateImage(opts: GenerateImageOptions & { model?: string; device?: Device; vae?: string }): ImageGeneration {
  const events = new EventStream<ScaleEvent>();
  const { model, device, vae, ...rest } = opts;
  const result = (async () => {
    const { engine } = await loadShared(resolveModel(model), undefined, opts.signal, device, vae);
    const r = await engine.generateImage(rest, events.push);
    const [bitmap, png] = await Promise.all([toImageBitmap(r.image), toPngBlob(r.image)]);
    return { ...r, bitmap, png };
  })();
  result.then(() => events.end(), (e) => events.end(e));
  return { result, [Symbol.asyncIterator]: () => events[Symbol.asyncIterator]() };
}

/**
 * The assistant's reply to `messages`, streamed: text deltas, and for each image in the reply its
 * scales and the final image (ChatEvent). `await stream.reply` gives the whole message.
 */
export interface ChatStream extends AsyncIterable<ChatEvent> {
  reply: Promise<ChatReply>;
}

export function chat(messages: ChatMessage[], opts: ChatOptions & { model?: string; device?: Device } = {}): ChatStream {
  const events = new EventStream<ChatEvent>();
  const { model, device, ...rest } = opts;
  const reply = (async () => {
    const { engine } = await loadShared(resolveModel(model), undefined, opts.signal, device);
    return engine.chat(messages, rest, events.push);
  })();
  reply.then(() => events.end(), (e) => events.end(e));
  return { reply, [Symbol.asyncIterator]: () => events[Symbol.asyncIterator]() };
}

/** Models stored in this origin's IndexedDB cache. */
export function listCachedModels(): Promise<CachedModel[]> {
  return anyEngine().listCachedModels();
}

/** Remove a cached model (by the id from listCachedModels); it downloads again when next used. */
export function deleteCachedModel(id: string): Promise<void> {
  return anyEngine().deleteCachedModel(id);
}
