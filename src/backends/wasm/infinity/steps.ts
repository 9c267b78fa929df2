/** The Infinity family on the CPU backend, as the engine sees it. */
import type { GenerateImageOptions } from '../../../api/types';
import type { ImageSampling, LoadedModel, ModelFiles } from '../../../models/family';
import { infinityInfo, infinityRequestSchedule, infinityTextFeatures } from '../../../models/infinity/family';
import type { WasmOutput, WasmWork } from '../backend';
import { assertWasmFits, type WasmRuntime } from '../runtime';
import { infinityMemory } from '../../../models/infinity/memory';
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
      const s = infinityRequestSchedule(c, opts);
      const mem = infinityMemory(c, opts.resolution ?? c.image.resolution, s.hDivW, m.weightBytes);
      assertWasmFits(`An image of "${c.name}"`, m.weightBytes, { bytes: mem.workBytes, detail: mem.describe });
      return new WasmInfinityImageSteps(m, f.data, f.length, s, smp);
    },
    destroy: () => m.destroy(),
  };
}
