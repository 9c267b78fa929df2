/**
 * Typed errors of the engine: one class per failure a user can hit, each with a message that
 * says what to do. All derive from NextscaleError (`code` is stable for programmatic checks).
 */
import { NextscaleError } from '../gpu/errors';

export { NextscaleError, WebGPUUnavailableError, DeviceLostError, GpuOutOfMemoryError, BufferTooLargeError } from '../gpu/errors';

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
