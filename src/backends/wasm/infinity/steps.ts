/** The Infinity family on the CPU backend, as the engine sees it. */
import type { GenerateImageOptions } from '../../../api/types';
import type { ImageSampling, LoadedModel, ModelFiles } from '../../../models/family';
import { infinityInfo, infinityRequestSchedule, infinityTextFeatures } from '../../../models/infinity/family';
import type { WasmOutput, WasmWork } from '../backend';
import type { WasmRuntime } from '../runtime';
import { WasmInfinityImageSteps } from './image-steps';
import { WasmInfinityModel } from './model';

export async function loadInfinityWasm(rt: WasmRuntime, files: ModelFiles): Promise<LoadedModel<WasmWork, WasmOutput>> {
  const m = await WasmInfinityModel.load(rt, files);
  const c = m.config;
  return {
    info: infinityInfo(c, m.parameters),
    sampling: c.sampling,
    gpuBytes: 0,
    imageSteps: (opts: GenerateImageOptions, smp: ImageSampling) => {
      const f = infinityTextFeatures(c, opts);
      return new WasmInfinityImageSteps(m, f.data, f.length, infinityRequestSchedule(c, opts), smp);
    },
    destroy: () => m.destroy(),
  };
}
