/**
 * The Infinity family in the registry: text-to-image by bitwise next-scale prediction (FoundationVision/
 * Infinity checkpoints, converted as published by convert-pth.ts), on WebGPU (model.ts, generator.ts) and
 * on the CPU backend (backends/wasm/infinity/).
 */
import type { GpuContext } from '../../gpu/device';
import { InvalidOptionError, PromptTooLongError } from '../../api/errors';
import type { GenerateImageOptions } from '../../api/types';
import type { ImageSampling, LoadedModel, ModelFamily, ModelFiles } from '../family';
import type { ByteSource } from '../weights';
import { InfinityModel } from './model';
import { InfinityImageSteps } from './generator';
import { formatCount } from '../format-count';
import type { InfinityConfig } from './config';
import { assertInfinityFitsGpu } from './memory';
import { infinitySchedule, parseAspect, type InfinitySchedule } from './schedule';

/** What the engine shows of an Infinity model (ModelInfo's family part). */
export function infinityInfo(c: InfinityConfig, parameters: number): LoadedModel['info'] {
  const s = infinitySchedule(c.image.hDivW, c.image.resolution);
  const up = 2 ** (c.vae.chMult.length - 1);
  const size = Math.max(...s.scales[s.scales.length - 1]) * up;
  return {
    name: c.name, family: 'infinity', imageSize: size, scales: s.scales.map(([h, w]) => Math.max(h, w)), conditioning: 'text-features',
    canCaption: false, canSeeImages: false, contextLength: 0, sampling: c.sampling, maxPromptTokens: c.arch.textMaxLen, parameters,
    description: `${c.name}: an Infinity text-to-image model, ${formatCount(parameters)} parameters, ${c.arch.depth} blocks of width ${c.arch.dim}, ${c.arch.bits}-bit tokens, ${size}×${size} images by default; it takes text features of width ${c.arch.textDim}`,
  };
}

/** A request's text features, checked against the model: [L, textDim] f32, 1 ≤ L ≤ textMaxLen, finite. */
export function infinityTextFeatures(c: InfinityConfig, opts: GenerateImageOptions): { data: Float32Array; length: number } {
  const f = opts.textFeatures;
  if (!f) {
    const hint = opts.prompt !== undefined ? ' (a prompt needs the T5 text encoder, which this build does not run yet: pass the prompt\'s precomputed features)' : '';
    throw new InvalidOptionError('textFeatures', f, `the prompt's text features, { data: Float32Array, shape: [L, ${c.arch.textDim}] }${hint}`);
  }
  const [L, D] = Array.isArray(f.shape) ? f.shape : [NaN, NaN];
  if (!(f.data instanceof Float32Array) || !Number.isInteger(L) || L < 1 || D !== c.arch.textDim || f.data.length !== L * D) {
    throw new InvalidOptionError('textFeatures', `shape ${JSON.stringify(f.shape)}, ${f.data?.length} values`, `a Float32Array of shape [L, ${c.arch.textDim}] (L ≥ 1 text tokens; the model's text width is ${c.arch.textDim})`);
  }
  if (L > c.arch.textMaxLen) throw new PromptTooLongError(L, c.arch.textMaxLen);
  for (let i = 0; i < f.data.length; i++) if (!Number.isFinite(f.data[i])) throw new InvalidOptionError('textFeatures', `a non-finite value at ${i}`, 'finite numbers');
  return { data: f.data, length: L };
}

/** The request's schedule: its resolution class and aspect, or the model's defaults. */
export function infinityRequestSchedule(c: InfinityConfig, opts: GenerateImageOptions): InfinitySchedule {
  const s = infinitySchedule(opts.aspect === undefined ? c.image.hDivW : parseAspect(opts.aspect), opts.resolution ?? c.image.resolution);
  if (s.scales.length > c.arch.levels) throw new InvalidOptionError('resolution', opts.resolution, `at most the ${c.arch.levels} scales the model has level embeddings for`);
  return s;
}

export const infinityFamily: ModelFamily = {
  family: 'infinity',
  description: 'Infinity text-to-image generators (bitwise next-scale prediction, FoundationVision/Infinity)',
  load(ctx: GpuContext, files: ModelFiles): LoadedModel {
    const m = InfinityModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>(files.files) });
    const c = m.config;
    return {
      info: infinityInfo(c, m.weights.parameters),
      sampling: c.sampling,
      gpuBytes: m.gpuBytes,
      imageSteps: (opts: GenerateImageOptions, smp: ImageSampling) => {
        const f = infinityTextFeatures(c, opts);
        const s = infinityRequestSchedule(c, opts);
        assertInfinityFitsGpu(c, opts.resolution ?? c.image.resolution, s.hDivW, ctx.limits);
        return new InfinityImageSteps(ctx, m, f.data, f.length, s, smp);
      },
      destroy: () => m.destroy(),
    };
  },
};
