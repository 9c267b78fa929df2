/**
 * What a model family gives the engine (one entry of registry.ts per family), and the steps its
 * generation is made of. Families only *schedule* work into a backend's `Work` (WebGPU: a command
 * Recorder) and say where each result lands (`Output`); the engine's drivers run every step through
 * the backend (backends/backend.ts) and read results back. No family submits, maps or reads back.
 */
import type { GpuContext } from '../gpu/device';
import type { GpuOutput, Recorder } from '../gpu/recorder';
import type { ChatMessage, GenerateImageOptions, ModelInfo, SamplingDefaults } from '../api/types';
import type { ByteSource } from './weights';
import type { ChatSteps } from './chat-steps';
import type { ImageSampling, ImageSteps } from './image-steps';

export type { ImageSampling, ImageSteps } from './image-steps';

/**
 * What a loaded model of any family offers the engine. `Work` and `Output` are the backend's (see
 * backends/backend.ts): the steps a model hands out are scheduled for the backend it was loaded on.
 */
export interface LoadedModel<Work = Recorder, Output = GpuOutput> {
  /** The family's part of ModelInfo (the engine adds id and cache state). */
  readonly info: Omit<ModelInfo, 'id' | 'cached' | 'note' | 'gpuBytes' | 'device'>;
  /** The model's own sampling defaults (of images; text uses `textTemperature` when it has one). */
  readonly sampling: SamplingDefaults & { textTemperature?: number };
  readonly gpuBytes: number;
  /**
   * The steps of one image for `opts` (its prompt or class label; the rest is resolved in `sampling`).
   * Throws the typed error of a request this model cannot take (empty prompt, bad class label, …).
   */
  imageSteps(opts: GenerateImageOptions, sampling: ImageSampling): ImageSteps<Work, Output>;
  /** A small image whose generation compiles every pipeline a real one uses (run once after loading, with the model's sampling). */
  warmUpSteps?(sampling: ImageSampling): ImageSteps<Work, Output>;
  /**
   * Chat, for families that have it: the steps of one reply to `messages` (image parts already carry
   * codes). `previous`, the steps of the conversation's last turn, is reused when it can be (its KV
   * cache keeps the prefix both turns share) and released when not.
   */
  chat?(messages: ChatMessage[], sampling: ImageSampling, textTemperature: number, previous?: ChatSteps<Work, Output>, contextLength?: number): ChatSteps<Work, Output>;
  /** Text-conditioned models: the tokens of an image prompt, and the words of a text the tokenizer does not know. */
  promptTokens?(text: string): number;
  unknownWords?(text: string): string[];
  /** Chat: the tokens a conversation takes in the context (image parts count whole, codes or not), and one image's. */
  chatTokens?(messages: ChatMessage[]): number;
  readonly imageTokens?: number;
  /** Image understanding: schedule the encoding of an RGBA image into per-scale codes (families with an image encoder). */
  encodeImage?(work: Work, image: { width: number; height: number; data: Uint8ClampedArray }): { codes: Output; split(raw: ArrayBuffer): number[][] };
  destroy(): void;
}

/** The files of a model folder, as the store delivers them. */
export interface ModelFiles {
  /** config.json, parsed. */
  config: Record<string, unknown>;
  /** Any other JSON file of the folder by path (tokenizer.json, …); undefined when absent. */
  json(path: string): unknown;
  /** Every file of the folder by path (the weights among them). */
  files: ReadonlyMap<string, ByteSource>;
}

/** One model family: how its config.json is recognised and how it loads. */
export interface ModelFamily {
  /** The value of config.json's "family" this entry loads. */
  readonly family: string;
  /** One line for error messages: what this family is. */
  readonly description: string;
  /** false for a family this build runs on the CPU (wasm) backend only: `auto` then picks the CPU. */
  readonly runsOnWebgpu?: boolean;
  /** Parse and check the config, put the weights on the GPU. Throws ModelConfigError for a config that does not fit its weights. */
  load(ctx: GpuContext, files: ModelFiles): LoadedModel;
}
