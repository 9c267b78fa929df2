/**
 * The model families the CPU backend runs, by config.json "family" (the WebGPU list is
 * models/registry.ts). A family missing here runs on WebGPU only: `auto` then keeps WebGPU for it,
 * and `device: 'wasm'` says so.
 */
import { UnsupportedTaskError } from '../../api/errors';
import type { LoadedModel, ModelFiles } from '../../models/family';
import type { WasmOutput, WasmWork } from './backend';
import type { WasmRuntime } from './runtime';
import { loadNextFlowWasm } from './nextflow/steps';
import { loadVarWasm } from './var/steps';
import { loadInfinityWasm } from './infinity/steps';

type WasmLoader = (rt: WasmRuntime, files: ModelFiles) => Promise<LoadedModel<WasmWork, WasmOutput>>;

const WASM_FAMILIES: Readonly<Record<string, WasmLoader>> = { nextflow: loadNextFlowWasm, var: loadVarWasm, infinity: loadInfinityWasm };

export function hasWasmFamily(family: unknown): boolean {
  return typeof family === 'string' && Object.hasOwn(WASM_FAMILIES, family);
}

/** Load a model folder on the CPU backend. */
export function loadOnWasm(rt: WasmRuntime, files: ModelFiles): Promise<LoadedModel<WasmWork, WasmOutput>> {
  const family = files.config.family;
  if (!hasWasmFamily(family)) {
    throw new UnsupportedTaskError(String(family), 'run on the CPU (wasm) backend', "Use device: 'webgpu' (or 'auto').");
  }
  return WASM_FAMILIES[family as string](rt, files);
}
