/**
 * WebGPU in Node through the npm package "webgpu" (Dawn). On Linux without a GPU driver, Dawn
 * needs a Vulkan ICD: we point it at the SwiftShader one that ships with Chromium when present.
 * Node-only: the browser build never imports this file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { WebGPUUnavailableError } from '../api/errors';

const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/** A GPU the kernel exposes (DRM render node or NVIDIA device); without one, a hardware ICD finds nothing. */
function hasGpuDevice(): boolean {
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').some((f) => f.startsWith('renderD')) : false;
  return dri || existsSync('/dev/nvidia0');
}

/** Returns a `GPU` object for createGpuContext({ gpu }), installing WebGPU globals (GPUBufferUsage…). */
export async function createNodeGpu(): Promise<GPU> {
  if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && !hasGpuDevice()) {
    const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
    if (icd) process.env.VK_ICD_FILENAMES = icd;
  }
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as never;
  } catch (e) {
    throw new WebGPUUnavailableError(`the npm package "webgpu" could not be loaded (${String(e)}); run \`npm install webgpu\``);
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'Dawn found no Vulkan adapter. On Linux install the Vulkan loader (apt-get install libvulkan1) and a ' +
        'driver for your GPU (mesa-vulkan-drivers, nvidia-driver); on a machine without a GPU, install ' +
        'Chromium (apt-get install chromium), whose SwiftShader driver is used automatically, or set ' +
        'VK_ICD_FILENAMES to another ICD json',
    );
  }
  return gpu;
}
