/**
 * Which backend a model runs on. 'webgpu' and 'wasm' are taken as asked; 'auto' takes WebGPU on a real
 * GPU adapter and the CPU (wasm) backend when there is no adapter or the adapter is a software renderer
 * (SwiftShader, llvmpipe: an emulated GPU is several times slower than onnxruntime's wasm kernels on the
 * same CPU). A family the CPU backend does not run stays on WebGPU; one WebGPU does not run takes the CPU.
 */
import { InvalidOptionError, WebGPUUnavailableError } from '../api/errors';
import type { Device } from '../api/types';
import type { AdapterProbe } from '../gpu/device';

export const DEVICES: readonly Device[] = ['auto', 'webgpu', 'wasm'];

/** The device option, checked (undefined → 'auto'). */
export function checkDevice(value: unknown, option = 'device'): Device {
  if (value === undefined) return 'auto';
  if (typeof value !== 'string' || !(DEVICES as readonly string[]).includes(value)) throw new InvalidOptionError(option, value, `one of ${DEVICES.map((d) => `'${d}'`).join(', ')}`);
  return value as Device;
}

export interface DeviceChoice {
  backend: 'webgpu' | 'wasm';
  reason: string;
  adapter?: string;
}

/**
 * `probe` asks for the WebGPU adapter (only 'auto' needs it); `onWasm` says whether the model's family runs on
 * the CPU backend, `onWebgpu` whether it runs on WebGPU.
 */
export async function chooseDevice(asked: Device, onWasm: boolean, family: string, probe: () => Promise<AdapterProbe>, onWebgpu = true): Promise<DeviceChoice> {
  if (asked === 'webgpu') return { backend: 'webgpu', reason: 'asked for (device: webgpu)' };
  if (asked === 'wasm') return { backend: 'wasm', reason: 'asked for (device: wasm)' };
  if (!onWebgpu) return { backend: 'wasm', reason: `${family} models run on the CPU backend in this version` };
  const a = await probe();
  if (!a.available) {
    if (onWasm) return { backend: 'wasm', reason: a.why };
    throw new WebGPUUnavailableError(`${a.why}, and ${family} models run on WebGPU only`);
  }
  if (a.software) {
    if (onWasm) return { backend: 'wasm', reason: `the GPU adapter is a software renderer (${a.name})`, adapter: a.name };
    return { backend: 'webgpu', reason: `a software GPU adapter (${a.name}), but ${family} models run on WebGPU only`, adapter: a.name };
  }
  return { backend: 'webgpu', reason: `a GPU adapter (${a.name})`, adapter: a.name };
}
