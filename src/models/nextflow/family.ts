/**
 * The NextFlow family in the registry: text→image, captions and interleaved chat on one decoder,
 * with the VQ encoder (when the weights hold it) for images in chat messages.
 */
import type { GpuContext } from '../../gpu/device';
import { EmptyPromptError, ModelConfigError, PromptTooLongError } from '../../api/errors';
import type { ChatMessage, GenerateImageOptions } from '../../api/types';
import type { ImageSampling, LoadedModel, ModelFamily, ModelFiles } from '../family';
import type { ChatSteps } from '../chat-steps';
import type { ByteSource } from '../weights';
import { NextFlowModel } from './model';
import { NextFlowImageSteps } from './image-generator';
import { NextFlowChatSteps } from './chat';
import { chatProgram, imageCacheTokens } from './chat-program';
import { formatCount } from '../format-count';

/** For counting tokens: an image takes the same room whatever its codes, so unencoded images get empty ones. */
const withPlaceholderCodes = (m: ChatMessage): ChatMessage => ({ ...m, parts: m.parts.map((p) => (p.type === 'image' && !p.codes ? { ...p, codes: [] } : p)) });

/** A loaded NextFlow model as the engine sees it. */
export function nextflowLoaded(ctx: GpuContext, m: NextFlowModel): LoadedModel {
  const c = m.config;
  const words = m.tokenizer.words();
  return {
    info: {
      name: c.name, family: 'nextflow', imageSize: c.vq.imageSize, scales: c.vq.scales, conditioning: 'text',
      canCaption: true, canSeeImages: m.canSeeImages, contextLength: c.contextLength, sampling: c.sampling,
      maxPromptTokens: c.maxTextTokens, parameters: m.weights.parameters, vocabulary: words,
      description: c.description ? `${c.name}: ${c.description}` : `${c.name}: a NextFlow-style text+image model, ${formatCount(m.weights.parameters)} parameters, ` +
        `${c.vq.imageSize}×${c.vq.imageSize} images, a vocabulary of ${words.length} words, a ${c.contextLength}-token context`,
    },
    sampling: c.sampling,
    gpuBytes: m.gpuBytes,
    imageSteps(opts: GenerateImageOptions, smp: ImageSampling) {
      const prompt = (opts.prompt ?? '').trim();
      if (!prompt) throw new EmptyPromptError();
      const promptIds = m.tokenizer.encode(prompt);
      if (promptIds.length > c.maxTextTokens) throw new PromptTooLongError(promptIds.length, c.maxTextTokens);
      return new NextFlowImageSteps(ctx, m, promptIds, smp);
    },
    warmUpSteps: (smp) => new NextFlowImageSteps(ctx, m, [c.vocab.textStart], smp),
    chat(messages: ChatMessage[], smp: ImageSampling, textTemperature: number, previous?: ChatSteps, contextLength = c.contextLength) {
      const program = chatProgram(c, messages, (t) => m.tokenizer.encode(t));
      if (previous instanceof NextFlowChatSteps && previous.contextLength === contextLength && previous.resume(program, smp, textTemperature)) return previous;
      previous?.release();
      return new NextFlowChatSteps(ctx, m, program, smp, textTemperature, contextLength);
    },
    promptTokens: (text) => m.tokenizer.encode(text).length,
    unknownWords: (text) => m.tokenizer.unknownWords(text),
    chatTokens: (messages) => chatProgram(c, messages.map(withPlaceholderCodes), (t) => m.tokenizer.encode(t)).tokens,
    imageTokens: imageCacheTokens(c),
    encodeImage: m.encoder ? (rec, image) => m.encoder!.schedule(rec, image) : undefined,
    destroy: () => m.destroy(),
  };
}

export const nextflowFamily: ModelFamily = {
  family: 'nextflow',
  description: 'NextFlow-style text+image decoders (text→image, captions, chat)',
  load(ctx: GpuContext, files: ModelFiles): LoadedModel {
    const tokPath = (files.config.files as { tokenizer?: unknown } | undefined)?.tokenizer;
    if (tokPath !== undefined && typeof tokPath !== 'string') throw new ModelConfigError('files.tokenizer must be a path');
    const tokenizer = tokPath ? files.json(tokPath) : undefined;
    const m = NextFlowModel.load(ctx, { config: files.config, tokenizer, weights: new Map<string, ByteSource>(files.files) });
    return nextflowLoaded(ctx, m);
  },
};
