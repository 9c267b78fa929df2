/**
 * Typed errors of the GPU layer and the kernels. Every failure a user can hit has its own class
 * and a message that says what to do, so callers can branch on `instanceof` or on `code`.
 */
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
    super('E_DEVICE_LOST', `The GPU device was lost (${reason}: ${message}). Reload the model to create a new device.`);
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
