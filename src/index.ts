/**
 * nextscale: next-scale prediction models (NextFlow-style text+image, VAR) in the browser on WebGPU.
 *
 * ```ts
 * import { loadModel, generateImage, chat, defineElements } from 'nextscale';
 * await loadModel('nextscale-tiny', { onProgress: (p) => console.log(p.percent) });
 * const gen = generateImage({ prompt: 'red apple', seed: 7 });
 * for await (const scale of gen) draw(scale.preview);
 * const { bitmap, png } = await gen.result;
 * ```
 * Models resolve against `configure({ modelBaseUrl })` (default "/models/"). Every call and element
 * that names the same model shares one Web Worker, one GPU device and one copy of the weights.
 */
export { configure, resolveModel, type NextscaleConfig } from './lib/shared';
export { loadModel, generateImage, chat, listCachedModels, deleteCachedModel } from './lib/api';
export type { LoadOptions, GeneratedImage, ImageGeneration, ChatStream } from './lib/api';
export { defineElements, NextscaleImageElement, NextscaleChatElement } from './elements/define';
export { textFeaturesFromSafetensors } from './formats/text-features';
export type * from './api/types';
export * from './api/errors';
