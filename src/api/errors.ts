/**
 * Every typed error of nextscale, in one place: one class per failure a user can hit, each with a
 * stable `code` and a message that names the cause and the fix. All derive from NextscaleError, so
 * callers branch on `instanceof` or on `code`; error-registry.ts makes each one cross the worker
 * boundary as itself.
 */

// ---- Base, GPU and kernels
export class NextscaleError extends Error {
  /** Stable machine-readable code, e.g. "E_NO_WEBGPU". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // The exported class name, also in minified bundles (registerErrorClass pins it on the prototype).
    this.name = Object.hasOwn(new.target.prototype, 'name') ? (new.target.prototype as Error).name : new.target.name;
  }
}

/** navigator.gpu is missing or no adapter could be obtained. */
export class WebGPUUnavailableError extends NextscaleError {
  constructor(detail: string) {
    super(
      'E_NO_WEBGPU',
      `WebGPU is not available: ${detail}. Use a browser with WebGPU enabled (Chrome/Edge 113+, ` +
        'Safari 26+, or Chromium with --enable-unsafe-webgpu), serve the page from https:// or ' +
        'http://localhost, or in Node install the "webgpu" package and a Vulkan driver ' +
        '(on Linux without a GPU: Chromium\'s SwiftShader, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).',
    );
  }
}

/** The GPU device was lost (driver reset, tab in background too long, out of memory). */
export class DeviceLostError extends NextscaleError {
  constructor(reason: string, message: string) {
    super('E_DEVICE_LOST', `The GPU device was lost (${reason}: ${message}). Try again: the next request creates a new device and loads the model again from the cache.`);
  }
}

/** A kernel was called with shapes that do not fit together or do not fit its buffers. */
export class KernelShapeError extends NextscaleError {
  constructor(kernel: string, detail: string) {
    super('E_KERNEL_SHAPE', `${kernel}: ${detail}`);
  }
}

/** A kernel was asked for a dtype it does not implement. */
export class UnsupportedDtypeError extends NextscaleError {
  constructor(kernel: string, dtype: string, supported: readonly string[]) {
    super('E_DTYPE', `${kernel}: dtype "${dtype}" is not supported; use one of ${supported.join(', ')}.`);
  }
}

/** The device could not allocate a model's weights (or its working memory). */
export class GpuOutOfMemoryError extends NextscaleError {
  constructor(what: string, bytes: number) {
    super(
      'E_GPU_OUT_OF_MEMORY',
      `${what} needs ${(bytes / 2 ** 20).toFixed(0)} MiB of GPU memory, more than the device could allocate. ` +
        'Close other GPU-heavy tabs or apps, or use a smaller model (for VAR, a smaller depth: d16 needs about 0.8 GiB in f16).',
    );
  }
}

/** The CPU (wasm) backend could not hold the model: wasm32 addresses at most 4 GiB. Nothing stays loaded. */
/** Bytes as GiB (two decimals) from 1 GiB up, MiB below. */
const size = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${Math.round(b / 2 ** 20)} MiB`);

export class WasmOutOfMemoryError extends NextscaleError {
  constructor(what: string, bytes: number, limitBytes: number, detail?: string) {
    super(
      'E_WASM_OUT_OF_MEMORY',
      `${what} needs about ${size(bytes)} of CPU (wasm) memory as f32, more than the ` +
        `${size(limitBytes)} a wasm32 backend can address${detail ? ` (${detail})` : ''}. ` +
        "Use device: 'webgpu' on a machine with a GPU, or a smaller model.",
    );
  }
}

/** onnxruntime-web's wasm backend could not start (its .wasm files missing, or WebAssembly disabled). */
export class WasmUnavailableError extends NextscaleError {
  constructor(detail: string) {
    super(
      'E_NO_WASM',
      `The CPU (wasm) backend could not start: ${detail}. Serve onnxruntime-web's .wasm files beside ` +
        "nextscale's script (dist/lib/ has them) or set wasmPaths, or use device: 'webgpu'.",
    );
  }
}

/** A buffer or binding would exceed the device's limits. */
export class BufferTooLargeError extends NextscaleError {
  constructor(what: string, bytes: number, limitName: string, limit: number) {
    super(
      'E_BUFFER_LIMIT',
      `${what} needs ${bytes} bytes but the device's ${limitName} is ${limit}. ` +
        'Use a smaller model or shard the tensor; quantized (int8) weights also need less.',
    );
  }
}

// ---- Engine requests

/** The prompt is empty or only whitespace. */
export class EmptyPromptError extends NextscaleError {
  constructor() {
    super('E_EMPTY_PROMPT', 'The prompt is empty. Type what the image should show, e.g. "a small red circle at the top left on a white background".');
  }
}

/** The prompt has more tokens than the model's context leaves room for. */
export class PromptTooLongError extends NextscaleError {
  constructor(
    readonly tokens: number,
    readonly maxTokens: number,
  ) {
    super('E_PROMPT_TOO_LONG', `The prompt is ${tokens} tokens long but this model accepts at most ${maxTokens}. Shorten it.`);
  }
}

/** The conversation no longer fits the model's context. Nothing is lost: start a new chat to go on. */
export class ContextTooLongError extends NextscaleError {
  constructor(
    readonly tokens: number,
    readonly maxTokens: number,
  ) {
    super('E_CONTEXT_TOO_LONG', `This conversation needs ${tokens} tokens but the model's context holds ${maxTokens}. Start a new chat (the old one stays saved).`);
  }
}

/** A chat message holds an image but the model has no image encoder. */
export class ImageInputUnsupportedError extends NextscaleError {
  constructor(model: string) {
    super('E_IMAGE_INPUT_UNSUPPORTED', `The model "${model}" cannot read images (its weights have no image encoder). Send text only, or load a model that can see images.`);
  }
}

/** An image given to the model is not usable (wrong size or format); the message says what was expected. */
export class InvalidImageError extends NextscaleError {
  constructor(detail: string) {
    super('E_INVALID_IMAGE', `The image cannot be used: ${detail}.`);
  }
}

/** config.json is malformed or does not describe the weights that came with it. */
export class ModelConfigError extends NextscaleError {
  constructor(detail: string) {
    super('E_MODEL_CONFIG', `The model's config does not match its weights: ${detail}. Re-export the model or fix config.json.`);
  }
}

/** The request was cancelled through its AbortSignal. Everything it allocated is freed. */
export class CancelledError extends NextscaleError {
  constructor(what = 'The request') {
    super('E_CANCELLED', `${what} was cancelled.`);
  }
}

/** The loaded model cannot do what was asked (e.g. chat with a class-conditional VAR model). */
export class UnsupportedTaskError extends NextscaleError {
  constructor(model: string, task: string, hint: string) {
    super('E_UNSUPPORTED_TASK', `The model "${model}" cannot ${task}. ${hint}`);
  }
}

/** A generation option is out of range. */
export class InvalidOptionError extends NextscaleError {
  constructor(option: string, value: unknown, expected: string) {
    super('E_INVALID_OPTION', `Option "${option}" = ${JSON.stringify(value)} is invalid; expected ${expected}.`);
  }
}

/** Throw CancelledError if the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

// ---- Model store (download, cache, integrity)

/** manifest.json could not be fetched: 404, another HTTP error, or the network is down. */
export class ModelNotFoundError extends NextscaleError {
  constructor(
    readonly url: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'E_MODEL_NOT_FOUND',
      `No model at ${url} (${detail}). Check the model URL (it must be a folder holding manifest.json), ` +
        'that the server is running and reachable, and that it allows this origin (CORS).',
      options,
    );
  }
}

/** manifest.json (or config.json) is not valid JSON or lacks required fields. */
export class ManifestError extends NextscaleError {
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(
      'E_MANIFEST',
      `Invalid model manifest at ${url}: ${detail}. Regenerate manifest.json with the export tool ` +
        '(see docs/manifest.md for the format).',
    );
  }
}

/** A response ended before the bytes the manifest lists (connection dropped, server cut it short). */
export class DownloadTruncatedError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly receivedBytes: number,
    readonly expectedBytes: number,
    options?: { cause?: unknown },
  ) {
    super(
      'E_DOWNLOAD_TRUNCATED',
      `Download of ${url} stopped at byte ${receivedBytes} of ${expectedBytes}. ` +
        'Check the network connection and load the model again: the chunks already stored are kept and the download resumes.',
      options,
    );
  }
}

/**
 * The file itself is shorter than the manifest says (the server's Content-Length or Content-Range, or a
 * local file's size): retrying cannot help, so this is not blamed on the network.
 */
export class TruncatedFileError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly actualBytes: number,
    readonly expectedBytes: number,
  ) {
    super(
      'E_TRUNCATED_FILE',
      `${url} is a truncated file: it holds ${actualBytes} bytes but manifest.json lists ${expectedBytes}. ` +
        'Copy or upload the whole file again (or re-export the model); loading again cannot fix it.',
    );
  }
}

/** A response where a model file was expected is something else, e.g. an HTML page. */
export class NotModelFileError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly contentType: string,
  ) {
    super(
      'E_NOT_MODEL_FILE',
      `${url} is not a model file (the server returned ${contentType}). Check that the model folder on the server holds ` +
        'the files manifest.json lists: a server that answers unknown paths with a web page sends that page instead.',
    );
  }
}

/** A file's size or sha256 does not match the manifest, even after fetching it again. */
export class IntegrityError extends NextscaleError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'E_INTEGRITY',
      `${url} does not match its manifest (expected ${expected}, got ${actual}) even after fetching it again; ` +
        'it was not used or cached. The server holds a different file than manifest.json lists: re-export or re-upload the model.',
    );
  }
}

/** The browser's storage quota is exhausted. The loader catches it and runs from memory. */
export class StorageQuotaError extends NextscaleError {
  constructor(options?: { cause?: unknown }) {
    super(
      'E_STORAGE_QUOTA',
      'Browser storage quota exceeded. Delete cached models (listCachedModels / deleteCachedModel) or free disk space; ' +
        'until then the model runs from memory and is downloaded again on the next visit.',
      options,
    );
  }
}

/** The load was cancelled through its AbortSignal. Completed chunks stay stored; loading again resumes. */
export class DownloadCancelledError extends CancelledError {
  constructor(readonly url: string) {
    super(`Loading the model at ${url}`);
    this.message += ' The chunks already downloaded are kept; load it again to resume.';
  }
}

/** True for a QuotaExceededError from IndexedDB (a DOMException, possibly wrapped). */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageQuotaError) return true;
  const x = e as { name?: string; code?: number; inner?: unknown } | null;
  return !!x && (x.name === 'QuotaExceededError' || x.code === 22 || (!!x.inner && isQuotaError(x.inner)));
}

// ---- File formats

/** A PyTorch checkpoint (.pth: a zip holding a pickle and the tensor data) is malformed or truncated. */
export class CheckpointFormatError extends NextscaleError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('E_CHECKPOINT', `${file}: ${detail}. It is not a complete PyTorch checkpoint (torch.save); download it again, or check that it is the file the model publishes.`);
  }
}

/**
 * A checkpoint's pickle names a Python global that a state dict never needs (e.g. os.system). A pickle can
 * carry code; nextscale never runs any, and refuses the file instead.
 */
export class UnsafeCheckpointError extends NextscaleError {
  constructor(
    readonly file: string,
    readonly global: string,
  ) {
    super('E_UNSAFE_CHECKPOINT', `${file}: its pickle references "${global}", which a PyTorch state dict never needs; the file was refused unread. Use the official checkpoint file, or convert it with tools/convert_var.py after inspecting it.`);
  }
}

/**
 * A checkpoint's keys or shapes are not those of the official layout it claims (another model, a VAE that does
 * not fit the transformer, an unsupported variant, a tensor too large to hold). `kind` says which.
 */
export class CheckpointLayoutError extends NextscaleError {
  constructor(
    readonly kind: 'missing-keys' | 'unexpected-keys' | 'shape' | 'vae-mismatch' | 'unsupported' | 'too-large',
    detail: string,
  ) {
    super('E_CHECKPOINT_LAYOUT', `${detail}. Load the official VAR files (var_dN.pth with vae_ch160v4096z32.pth) as published.`);
  }
}

/** A weights file is not valid safetensors (or its header does not describe its bytes). */
export class WeightsFormatError extends NextscaleError {
  constructor(file: string, detail: string) {
    super('E_WEIGHTS_FORMAT', `${file}: ${detail}. The weights file is corrupt or not safetensors; delete the cached model and download it again.`);
  }
}

/** tokenizer.json uses a model or normalizer this runtime does not implement, or is malformed. */
export class TokenizerFormatError extends NextscaleError {
  constructor(detail: string) {
    super('E_TOKENIZER', `tokenizer.json: ${detail}. Check that the model folder holds the tokenizer that matches its config.`);
  }
}

// ---- Worker

/** The worker stopped (failed to start, crashed, or was terminated); create a new engine. */
export class WorkerCrashedError extends NextscaleError {
  constructor(detail: string) {
    super('E_WORKER', `The engine's Web Worker stopped: ${detail}. Reload the page (or create a new engine); if it happens again, check the browser console.`);
  }
}

// ---- Pages, elements and the CLI

/** A file the user attached, dropped or pasted cannot be used as an image; the message says why and what to attach. */
export class ImageFileError extends NextscaleError {
  constructor(detail: string) {
    super('E_IMAGE_FILE', detail);
  }
}

/** The command line is not valid (`nextscale --help` lists the commands and options). */
export class UsageError extends NextscaleError {
  constructor(detail: string) {
    super('E_USAGE', detail);
  }
}

/** The CLI was pointed at a folder that holds no model (or the bundled model was never exported). */
export class LocalModelError extends NextscaleError {
  constructor(detail: string) {
    super('E_LOCAL_MODEL', detail);
  }
}

/** A WGSL kernel's uniform record does not match its `Params` struct (a programming error, caught before dispatch). */
export class UniformLayoutError extends NextscaleError {
  constructor(shader: string, detail: string) {
    super('E_UNIFORM_LAYOUT', `${shader}: ${detail}. The uniform record passed to the dispatch must name exactly the fields of the shader's Params struct.`);
  }
}
