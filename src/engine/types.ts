/**
 * The public types of nextscale: options, events and results of the engine. The in-thread
 * engine and the Web Worker client both implement `Engine`, so callers never care which runs.
 */

/** Download/load progress of a model. */
export interface LoadProgress {
  /** 'warmup' compiles the GPU pipelines with one small generation, so the first real image is fast. */
  phase: 'manifest' | 'download' | 'verify' | 'upload' | 'warmup' | 'ready';
  /** The file being fetched, when phase is 'download'. */
  file?: string;
  loadedBytes: number;
  totalBytes: number;
  /** 0..100 over the whole model. */
  percent: number;
  fromCache: boolean;
}

export interface LoadModelOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /**
   * Run one small generation right after loading (default true). Shader compilation then happens
   * behind the load progress instead of during the user's first image (seconds on software GPUs).
   */
  warmUp?: boolean;
}

/** What a loaded model is and can do. */
export interface ModelInfo {
  id: string;
  name: string;
  family: 'nextflow' | 'var';
  imageSize: number;
  scales: number[];
  /** Text prompts (NextFlow) or class labels (VAR). */
  conditioning: 'text' | 'class';
  canCaption: boolean;
  sampling: SamplingDefaults;
  /** Bytes of weights on the GPU. */
  gpuBytes: number;
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
  /** The token grid of this scale (h = w). */
  grid: number;
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

/** The engine interface, shared by the in-thread engine and the worker client. */
export interface Engine {
  loadModel(urlOrId: string, opts?: LoadModelOptions): Promise<ModelInfo>;
  generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult>;
  listCachedModels(): Promise<CachedModel[]>;
  deleteCachedModel(id: string): Promise<void>;
  /** Free every GPU resource; the engine can load a model again afterwards. */
  dispose(): Promise<void>;
}
