/**
 * The NextFlow family on the CPU backend, as the engine sees it: the same LoadedModel as on WebGPU
 * (models/nextflow/family.ts nextflowLoaded: info, prompt checks, chat programs), with this backend's steps.
 */
import type { LoadedModel, ModelFiles } from '../../../models/family';
import { nextflowLoaded, type NextFlowBackendSteps } from '../../../models/nextflow/family';
import type { WasmOutput, WasmWork } from '../backend';
import type { WasmRuntime } from '../runtime';
import { WasmNextFlowChatSteps } from './chat-steps';
import { scheduleEncode } from './encode';
import { WasmNextFlowImageSteps } from './image-steps';
import { WasmNextFlowModel } from './model';

export function wasmNextflowSteps(m: WasmNextFlowModel): NextFlowBackendSteps<WasmWork, WasmOutput> {
  return {
    parameters: m.parameters,
    weightBytes: m.weightBytes,
    canSeeImages: m.encoder !== undefined,
    image: (promptIds, smp) => new WasmNextFlowImageSteps(m, promptIds, smp),
    chat(program, smp, textTemperature, contextLength, previous) {
      if (previous instanceof WasmNextFlowChatSteps && previous.contextLength === contextLength && previous.resume(program, smp, textTemperature)) return previous;
      previous?.release();
      return new WasmNextFlowChatSteps(m, program, smp, textTemperature, contextLength);
    },
    encodeImage: m.encoder ? (work, image) => scheduleEncode(m, work, image) : undefined,
    destroy: () => m.destroy(),
  };
}

export async function loadNextFlowWasm(rt: WasmRuntime, files: ModelFiles): Promise<LoadedModel<WasmWork, WasmOutput>> {
  const m = await WasmNextFlowModel.load(rt, files);
  return nextflowLoaded(m.config, m.tokenizer, wasmNextflowSteps(m));
}
