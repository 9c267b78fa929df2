/** The VAR family on the CPU backend, as the engine sees it (models/var/family.ts is its WebGPU twin). */
import type { GenerateImageOptions } from '../../../api/types';
import type { ImageSampling, LoadedModel, ModelFiles } from '../../../models/family';
import { varClassLabel, varInfo } from '../../../models/var/family';
import type { WasmOutput, WasmWork } from '../backend';
import type { WasmRuntime } from '../runtime';
import { WasmVarImageSteps } from './image-steps';
import { WasmVarModel } from './model';

export async function loadVarWasm(rt: WasmRuntime, files: ModelFiles): Promise<LoadedModel<WasmWork, WasmOutput>> {
  const m = await WasmVarModel.load(rt, files);
  const c = m.config;
  return {
    info: varInfo(c, m.parameters),
    sampling: c.sampling,
    gpuBytes: 0,
    imageSteps: (opts: GenerateImageOptions, smp: ImageSampling) => new WasmVarImageSteps(m, varClassLabel(c, opts), smp),
    destroy: () => m.destroy(),
  };
}
