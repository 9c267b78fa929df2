/**
 * The public types of nextscale: options, events and results of the engine. The in-thread
 * engine and the Web Worker client both implement `Engine`, so callers never care which runs.
 */

/** Download/load progress of a model. */
export interface LoadProgress {
  /**
   * 'warmup' compiles the GPU pipelines with one small generation, so the first real image is fast.
   * 'convert': a PyTorch checkpoint being converted, tensor by tensor (loadedBytes / totalBytes count tensors).
   * 'graphs': the CPU (wasm) backend building its onnxruntime sessions from the weights.
   */
  phase: 'manifest' | 'download' | 'convert' | 'verify' | 'upload' | 'graphs' | 'warmup' | 'ready';
  /** The file being fetched, when phase is 'download'. */
  file?: string;
  loadedBytes: number;
  totalBytes: number;
  /** 0..100 over the whole model. */
  percent: number;
  fromCache: boolean;
}

/**
 * Where a model runs (the same word everywhere: createEngine, loadModel, the elements' `device` attribute,
 * the pages' `?device=`, the CLI's `--device`). 'auto' (the default) takes WebGPU on a real GPU and the
 * CPU (wasm) backend when there is no adapter or only a software one (SwiftShader, llvmpipe).
 */
export type Device = 'auto' | 'webgpu' | 'wasm';

/** The backend a model was loaded on, and why. */
export interface DeviceInfo {
  backend: 'webgpu' | 'wasm';
  /** What was asked for. */
  requested: Device;
  /** Why this backend, in words ("no GPU adapter", "the GPU adapter is a software renderer (…)", …). */
  reason: string;
  /** wasm: the threads onnxruntime uses (1 when the page is not cross-origin isolated). */
  threads?: number;
  /** wasm with one thread because threads are not possible here: why (e.g. the page is not cross-origin isolated). */
  threadsNote?: string;
  /** WebGPU: the adapter's vendor and architecture. */
  adapter?: string;
}

export interface LoadModelOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Where to run it (default: the engine's device, 'auto'). */
  device?: Device;
  signal?: AbortSignal;
  /**
   * Run one small generation right after loading (default true). Shader compilation then happens
   * behind the load progress instead of during the user's first image (seconds on software GPUs).
   */
  warmUp?: boolean;
  /**
   * Model files picked by the user (a folder with manifest.json, config.json and the weights, e.g.
   * from `<input type="file" webkitdirectory>` or a drop): loaded from these instead of the network,
   * checked and cached like a download. `urlOrId` then only names the model (see localFilesBase).
   */
  files?: File[];
  /**
   * When the model is an official VAR checkpoint (`var_dN.pth`, a URL, a path or "hf:FoundationVision/var/var_d16.pth"):
   * the VAE file (default: vae_ch160v4096z32.pth beside it), the storage dtype of the conversion (default 'f16'),
   * and a scale schedule for non-official checkpoints. The converted model is cached like a download.
   */
  checkpoint?: { vae?: string; dtype?: 'f16' | 'int8' | 'f32'; scales?: number[] };
  /** Shorthand for checkpoint.vae: the VAE .pth of an official checkpoint (e.g. infinity_vae_d32reg.pth). */
  vae?: string;
}

/** What a loaded model is and can do. */
export interface ModelInfo {
  id: string;
  name: string;
  family: 'nextflow' | 'var' | 'infinity';
  imageSize: number;
  scales: number[];
  /** Text prompts (NextFlow), class labels (VAR) or text features (Infinity: a text encoder's output, `textFeatures`). */
  conditioning: 'text' | 'class' | 'text-features';
  canCaption: boolean;
  /** The model reads images in chat messages (it has an image encoder). */
  canSeeImages: boolean;
  /** Longest conversation, in tokens, that chat() accepts. */
  contextLength: number;
  /** Most tokens an image prompt may take (0 for class-conditional models). */
  maxPromptTokens: number;
  /** What the model is, in one line (config.json "description", or one made from its config). */
  description: string;
  /** Parameters in its weights. */
  parameters: number;
  /** The words its text tokenizer knows (text-conditioned models). */
  vocabulary?: string[];
  sampling: SamplingDefaults;
  /** VAR: the names of the class labels (ImageNet order), when the converter had them. */
  classNames?: string[];
  /** Bytes of weights on the GPU (on the CPU backend: in wasm memory, as f32). */
  gpuBytes: number;
  /** The backend it runs on, and why. */
  device: DeviceInfo;
  /** false when the weights could not be cached (quota) and run from memory. */
  cached: boolean;
  note?: string;
}

export interface SamplingDefaults {
  cfg: number;
  topK: number;
  topP: number;
  temperature: number;
}

export interface GenerateImageOptions extends Partial<SamplingDefaults> {
  /** Text prompt (NextFlow-family models). */
  prompt?: string;
  /** Class label 0..999 (VAR models). */
  classLabel?: number;
  /**
   * Infinity models: the prompt's text features, the last hidden state of the model's text encoder
   * (flan-t5-xl for the released models) for the prompt's tokens, EOS included: [L, textDim] row-major f32.
   * Precomputed features skip the encoder entirely.
   */
  textFeatures?: { data: Float32Array; shape: [number, number] };
  /** Infinity models: the resolution class, 256 (default), 512, 768 or 1024, of the official schedules. */
  resolution?: number;
  /** Infinity models: the aspect as width:height ("1:1", "16:9") or h/w; the nearest official schedule is used. */
  aspect?: string | number;
  /** u32 seed; the same seed, options and model give the same image. */
  seed?: number;
  /** Decode and emit a preview after every scale (default true). */
  previews?: boolean;
  signal?: AbortSignal;
}

/** An RGBA image, row-major, 4 bytes per pixel (transferable; turn into ImageData or a PNG). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface ScaleTimings {
  /** Transformer forward of this scale's tokens, incl. sampling, until the codes exist. */
  forwardMs: number;
  /** Decoding the partial image for the preview. */
  previewMs: number;
  /** Since the request started. */
  elapsedMs: number;
}

/** Emitted once per scale, coarse to fine. */
export interface ScaleEvent {
  type: 'scale';
  /** 0-based scale index. */
  scale: number;
  scales: number;
  /** The token grid of this scale (h = w; for a non-square schedule, max(h, w), and `shape` has both). */
  grid: number;
  /** Non-square schedules (Infinity's aspect ratios): [h, w] of this scale. */
  shape?: [number, number];
  /** Sampled codes of this scale, row-major. */
  codes: number[];
  preview?: RgbaImage;
  timings: ScaleTimings;
}

export interface ImageResult {
  image: RgbaImage;
  /** Codes of every scale, row-major (the CLI's --tokens format). */
  codes: number[][];
  seed: number;
  timings: { totalMs: number; firstPreviewMs: number; perScaleMs: number[] };
  /** True when the GPU device was lost since the last request and the model was reloaded on a new one first. */
  deviceReset?: boolean;
}

export type GenerateEvent = ScaleEvent | ({ type: 'done' } & ImageResult);

export interface CachedModel {
  id: string;
  model: string;
  baseUrl: string;
  bytes: number;
  files: number;
  complete: boolean;
  storedAt: number;
}

/** One part of a chat message: text, or an image (given as pixels, or as the codes the model made). */
export type ChatPart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: RgbaImage; codes?: number[][] };

export interface ChatMessage {
  role: 'user' | 'assistant';
  parts: ChatPart[];
}

export interface ChatOptions extends Partial<SamplingDefaults> {
  /** u32 seed for text and image sampling; the same seed, messages and model give the same reply. */
  seed?: number;
  /** Most text tokens in the reply (default: the rest of the context). */
  maxNewTokens?: number;
  /**
   * Use at most this many tokens of the model's context (default: all of it). A smaller window keeps
   * turns fast and the KV cache small; older turns are left out sooner (the same policy).
   */
  contextLength?: number;
  /** Decode a preview after every scale of an image in the reply (default true). */
  previews?: boolean;
  /** Aborting stops the reply where it is: chat() then resolves with stopReason 'cancelled' and the partial message. */
  signal?: AbortSignal;
}

/** Streamed while a reply forms: text deltas, and for each image in the reply its scales then the final image. */
/**
 * Turns the engine left out because the conversation no longer fit the model's context (the policy
 * in the README, "Chat"): the oldest first, never the turn being answered or the latest image.
 */
export interface DroppedTurns {
  /** 0-based indices of the dropped turns (a turn: a user message and the reply after it). */
  turns: number[];
  /** Indices of the dropped messages in the `messages` given to chat(). */
  messages: number[];
  /** Tokens of the whole conversation, and of what the model read instead. */
  tokensBefore: number;
  tokensAfter: number;
  contextLength: number;
}

export type ChatEvent =
  | { type: 'context'; dropped: DroppedTurns }
  | { type: 'text'; text: string }
  | { type: 'image-start'; part: number }
  | { type: 'image-scale'; part: number; scale: ScaleEvent }
  | { type: 'image'; part: number; image: RgbaImage; codes: number[][] };

export interface ChatReply {
  message: ChatMessage;
  /** 'eos': the model ended its turn; 'max-tokens': maxNewTokens or the context ran out; 'cancelled': aborted. */
  stopReason: 'eos' | 'max-tokens' | 'cancelled';
  /** Tokens in the context after this reply (what the model read, plus the reply), and the model's context length. */
  contextTokens: number;
  contextLength: number;
  /** Present when older turns were left out to fit the context (also streamed first as a 'context' event). */
  dropped?: DroppedTurns;
  /** Tokens of the conversation that were still in the KV cache from the previous turn, so not read again. */
  reusedTokens?: number;
  /** True when the GPU device was lost since the last request and the model was reloaded on a new one first. */
  deviceReset?: boolean;
}

/** How the loaded model reads a piece of text, for token counters and vocabulary notices. */
export interface TextCheck {
  /** Tokens it takes: the prompt's, or the whole conversation's. */
  tokens: number;
  /** The most it may take: the model's prompt limit, or its context length. */
  limit: number;
  /** Words the model does not know (it reads each as its unknown token), each once, in order. */
  unknown: string[];
}

/** The engine interface, shared by the in-thread engine and the worker client. */
/** GPU memory the engine holds (engine.memory()), in bytes. */
export interface MemoryInfo {
  /** The loaded model's weights (0 with no model). */
  weightsBytes: number;
  /** Working buffers in use now (a chat's KV cache stays in use between turns). */
  poolLiveBytes: number;
  /** The most working buffers in use at once since the device was created. */
  poolPeakBytes: number;
  /** Buffers held free for reuse by the next step. */
  poolFreeBytes: number;
}

export interface Engine {
  loadModel(urlOrId: string, opts?: LoadModelOptions): Promise<ModelInfo>;
  generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult>;
  /** The assistant's next message after `messages` (the last one is the user's), streamed through onEvent. */
  chat(messages: ChatMessage[], opts?: ChatOptions, onEvent?: (e: ChatEvent) => void): Promise<ChatReply>;
  /**
   * Tokens, limit and unknown words of an image prompt, or of a conversation (tokens of the whole
   * conversation, unknown words of its last message). Cheap: no GPU work.
   */
  checkText(input: { prompt: string } | { messages: ChatMessage[] }): Promise<TextCheck>;
  listCachedModels(): Promise<CachedModel[]>;
  deleteCachedModel(id: string): Promise<void>;
  /** GPU bytes held now: weights, working buffers in use, their peak, and free ones kept for reuse. */
  memory(): Promise<MemoryInfo>;
  /** Free every GPU resource; the engine can load a model again afterwards. */
  dispose(): Promise<void>;
}
