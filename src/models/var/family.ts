/** The VAR family in the registry: class-conditional image generation (FoundationVision/VAR checkpoints). */
import type { GpuContext } from '../../gpu/device';
import { InvalidOptionError } from '../../api/errors';
import type { GenerateImageOptions } from '../../api/types';
import type { ImageSampling, LoadedModel, ModelFamily, ModelFiles } from '../family';
import type { ByteSource } from '../weights';
import { VarModel } from './model';
import { VarImageSteps } from './generator';
import { formatCount } from '../format-count';
import type { VarConfig } from './config';

/** What the engine shows of a VAR model (ModelInfo's family part), on any backend. */
export function varInfo(c: VarConfig, parameters: number): LoadedModel['info'] {
  return {
    name: c.name, family: 'var', imageSize: c.imageSize, scales: c.scales, conditioning: 'class',
    canCaption: false, canSeeImages: false, contextLength: 0, sampling: c.sampling, classNames: c.classNames ?? undefined,
    maxPromptTokens: 0, parameters,
    description: `${c.name}: a VAR class-conditional image model, ${formatCount(parameters)} parameters, ${c.imageSize}×${c.imageSize} images, ${c.arch.numClasses} classes`,
  };
}

/** The request's class label, or InvalidOptionError (VAR models are class-conditional). */
export function varClassLabel(c: VarConfig, opts: GenerateImageOptions): number {
  const n = c.arch.numClasses;
  const label = opts.classLabel;
  if (label === undefined || !Number.isInteger(label) || label < 0 || label >= n) throw new InvalidOptionError('classLabel', label, `an integer class in [0, ${n}) (VAR models are class-conditional)`);
  return label;
}

/** A loaded VAR model as the engine sees it. */
export function varLoaded(ctx: GpuContext, m: VarModel): LoadedModel {
  const c = m.config;
  return {
    info: varInfo(c, m.weights.parameters),
    sampling: c.sampling,
    gpuBytes: m.gpuBytes,
    imageSteps: (opts: GenerateImageOptions, smp: ImageSampling) => new VarImageSteps(ctx, m, varClassLabel(c, opts), smp),
    destroy: () => m.destroy(),
  };
}

export const varFamily: ModelFamily = {
  family: 'var',
  description: 'VAR class-conditional image generators (ImageNet 256², FoundationVision/VAR)',
  load(ctx: GpuContext, files: ModelFiles): LoadedModel {
    return varLoaded(ctx, VarModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>(files.files) }));
  },
};
