/**
 * The NextFlow family in the registry: text→image, captions and interleaved chat on one decoder,
 * with the VQ encoder (when the weights hold it) for images in chat messages.
 */
import type { GpuContext } from '../../gpu/device';
import { EmptyPromptError, ModelConfigError, PromptTooLongError } from '../../api/errors';
import type { ChatMessage, GenerateImageOptions } from '../../api/types';
import type { ImageSampling, ImageSteps, LoadedModel, ModelFamily, ModelFiles } from '../family';
import type { ChatSteps } from '../chat-steps';
import type { ByteSource } from '../weights';
import { NextFlowModel, type ModelSources } from './model';
import { NextFlowImageSteps } from './image-generator';
import { NextFlowChatSteps } from './chat';
import { chatProgram, imageCacheTokens, type ChatProgram } from './chat-program';
import type { NextFlowConfig } from './config';
import type { TextTokenizer } from '../../tokenizer/text-tokenizer';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { formatCount } from '../format-count';

/** For counting tokens: an image takes the same room whatever its codes, so unencoded images get empty ones. */
const withPlaceholderCodes = (m: ChatMessage): ChatMessage => ({ ...m, parts: m.parts.map((p) => (p.type === 'image' && !p.codes ? { ...p, codes: [] } : p)) });

/**
 * What a backend provides for a NextFlow model: its steps on that backend's work objects. The rest of
 * the model (info, prompt checks, chat programs, token counts) is the same on every backend.
 */
export interface NextFlowBackendSteps<Work, Output> {
  readonly parameters: number;
  /** Bytes of weights the backend holds (GPU memory on WebGPU, wasm memory on the CPU backend). */
  readonly weightBytes: number;
  readonly canSeeImages: boolean;
  image(promptIds: number[], smp: ImageSampling): ImageSteps<Work, Output>;
  /** The steps of a reply; `previous` (the conversation's last turn) is resumed when it can be, else released. */
  chat(program: ChatProgram, smp: ImageSampling, textTemperature: number, contextLength: number, previous?: ChatSteps<Work, Output>): ChatSteps<Work, Output>;
  encodeImage?: LoadedModel<Work, Output>['encodeImage'];
  destroy(): void;
}

/** A loaded NextFlow model as the engine sees it, on any backend. */
export function nextflowLoaded<Work, Output>(c: NextFlowConfig, tokenizer: TextTokenizer, b: NextFlowBackendSteps<Work, Output>): LoadedModel<Work, Output> {
  const words = tokenizer.words();
  return {
    info: {
      name: c.name, family: 'nextflow', imageSize: c.vq.imageSize, scales: c.vq.scales, conditioning: 'text',
      canCaption: true, canSeeImages: b.canSeeImages, contextLength: c.contextLength, sampling: c.sampling,
      maxPromptTokens: c.maxTextTokens, parameters: b.parameters, vocabulary: words,
      description: c.description ? `${c.name}: ${c.description}` : `${c.name}: a NextFlow-style text+image model, ${formatCount(b.parameters)} parameters, ` +
        `${c.vq.imageSize}×${c.vq.imageSize} images, a vocabulary of ${words.length} words, a ${c.contextLength}-token context`,
    },
    sampling: c.sampling,
    gpuBytes: b.weightBytes,
    imageSteps(opts: GenerateImageOptions, smp: ImageSampling) {
      const prompt = (opts.prompt ?? '').trim();
      if (!prompt) throw new EmptyPromptError();
      const promptIds = tokenizer.encode(prompt);
      if (promptIds.length > c.maxTextTokens) throw new PromptTooLongError(promptIds.length, c.maxTextTokens);
      return b.image(promptIds, smp);
    },
    warmUpSteps: (smp) => b.image([c.vocab.textStart], smp),
    chat(messages: ChatMessage[], smp: ImageSampling, textTemperature: number, previous?: ChatSteps<Work, Output>, contextLength = c.contextLength) {
      const program = chatProgram(c, messages, (t) => tokenizer.encode(t));
      return b.chat(program, smp, textTemperature, contextLength, previous);
    },
    promptTokens: (text) => tokenizer.encode(text).length,
    unknownWords: (text) => tokenizer.unknownWords(text),
    chatTokens: (messages) => chatProgram(c, messages.map(withPlaceholderCodes), (t) => tokenizer.encode(t)).tokens,
    imageTokens: imageCacheTokens(c),
    encodeImage: b.encodeImage,
    destroy: () => b.destroy(),
  };
}

/** A model on the GPU, as the engine sees it. */
export function nextflowOnGpu(ctx: GpuContext, m: NextFlowModel): LoadedModel {
  return nextflowLoaded(m.config, m.tokenizer, webgpuSteps(ctx, m));
}

/** The WebGPU steps of a model on the GPU. */
export function webgpuSteps(ctx: GpuContext, m: NextFlowModel): NextFlowBackendSteps<Recorder, GpuOutput> {
  return {
    parameters: m.weights.parameters,
    weightBytes: m.gpuBytes,
    canSeeImages: m.canSeeImages,
    image: (promptIds, smp) => new NextFlowImageSteps(ctx, m, promptIds, smp),
    chat(program, smp, textTemperature, contextLength, previous) {
      if (previous instanceof NextFlowChatSteps && previous.contextLength === contextLength && previous.resume(program, smp, textTemperature)) return previous;
      previous?.release();
      return new NextFlowChatSteps(ctx, m, program, smp, textTemperature, contextLength);
    },
    encodeImage: m.encoder ? (rec, image) => m.encoder!.schedule(rec, image) : undefined,
    destroy: () => m.destroy(),
  };
}

/** A model folder's parts as the NextFlow loaders take them (config, tokenizer.json, the files). */
export function nextflowSources(files: ModelFiles): ModelSources {
  const tokPath = (files.config.files as { tokenizer?: unknown } | undefined)?.tokenizer;
  if (tokPath !== undefined && typeof tokPath !== 'string') throw new ModelConfigError('files.tokenizer must be a path');
  const tokenizer = tokPath ? files.json(tokPath) : undefined;
  return { config: files.config, tokenizer, weights: new Map<string, ByteSource>(files.files) };
}

export const nextflowFamily: ModelFamily = {
  family: 'nextflow',
  description: 'NextFlow-style text+image decoders (text→image, captions, chat)',
  load(ctx: GpuContext, files: ModelFiles): LoadedModel {
    const m = NextFlowModel.load(ctx, nextflowSources(files));
    return nextflowOnGpu(ctx, m);
  },
};
