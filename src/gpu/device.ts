/**
 * Getting a GPUDevice with the features and limits nextscale wants, in a browser or in Node
 * (through the npm package "webgpu", which passes its `GPU` object in as `gpu`).
 */
import { DeviceLostError, WebGPUUnavailableError } from '../api/errors';
import { BufferPool } from './buffer-pool';
import type { GpuLimits } from './limits';

export type { GpuLimits } from './limits';
import { PipelineCache } from './pipeline-cache';
import { UniformArena } from './uniform-arena';

export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  /** Held so the GPU instance and adapter outlive the device (Dawn in Node crashes if they are collected). */
  gpu: GPU;
  adapter: GPUAdapter;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  features: GpuFeatures;
  limits: GpuLimits;
  pipelines: PipelineCache;
  pool: BufferPool;
  uniforms: UniformArena;
  /** Resolves when the device is lost; rejects never. */
  lost: Promise<DeviceLostError>;
  destroy(): void;
}

export interface CreateGpuContextOptions {
  /** The GPU entry point; defaults to navigator.gpu. In Node pass `create([])` from "webgpu". */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Ask for shader-f16 when the adapter has it (default true). */
  wantF16?: boolean;
}

function findGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

export async function createGpuContext(opts: CreateGpuContextOptions = {}): Promise<GpuContext> {
  const gpu = opts.gpu ?? findGpu();
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    throw new WebGPUUnavailableError(
      secure === false ? 'navigator.gpu is missing because the page is not a secure context' : 'navigator.gpu is missing',
    );
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new WebGPUUnavailableError(`requestAdapter failed (${String(e)})`);
  }
  if (!adapter) throw new WebGPUUnavailableError('no GPU adapter was found');

  const want: GPUFeatureName[] = [];
  const has = (f: string) => adapter!.features.has(f);
  if ((opts.wantF16 ?? true) && has('shader-f16')) want.push('shader-f16');
  if (has('subgroups')) want.push('subgroups' as GPUFeatureName);
  if (has('timestamp-query')) want.push('timestamp-query');

  const a = adapter.limits;
  // The defaults (128 MiB bindings, 256 MiB buffers) are far below what adapters offer; ask for all.
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits });
  } catch (e) {
    throw new WebGPUUnavailableError(`requestDevice failed (${String(e)})`);
  }
  const info = (adapter as unknown as { info?: GPUAdapterInfo }).info;
  const d = device.limits;
  let onLost: (e: DeviceLostError) => void = () => {};
  const lost = new Promise<DeviceLostError>((r) => (onLost = r));
  let destroyed = false;
  device.lost.then((i) => onLost(new DeviceLostError(destroyed ? 'destroyed' : i.reason, i.message)));

  const ctx: GpuContext = {
    device,
    gpu,
    adapter,
    adapterInfo: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    },
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    limits: {
      maxStorageBufferBindingSize: d.maxStorageBufferBindingSize,
      maxBufferSize: d.maxBufferSize,
      maxComputeWorkgroupStorageSize: d.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: d.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: d.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: d.maxStorageBuffersPerShaderStage,
      minUniformBufferOffsetAlignment: d.minUniformBufferOffsetAlignment,
    },
    pipelines: undefined as unknown as PipelineCache,
    pool: undefined as unknown as BufferPool,
    uniforms: undefined as unknown as UniformArena,
    lost,
    destroy() {
      destroyed = true;
      ctx.pool.destroyAll();
      ctx.uniforms.destroy();
      device.destroy();
    },
  };
  ctx.pipelines = new PipelineCache(device);
  ctx.pool = new BufferPool(device, ctx.limits);
  ctx.uniforms = new UniformArena(device, ctx.limits.minUniformBufferOffsetAlignment);
  return ctx;
}

/** What `device: 'auto'` needs to know about the machine's WebGPU adapter, without making a device. */
export type AdapterProbe = { available: false; why: string } | { available: true; software: boolean; name: string };

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i;

/** Ask for an adapter and say whether it is a real GPU or a software renderer (fallback adapter, SwiftShader, llvmpipe). */
export async function probeAdapter(gpuIn?: GPU): Promise<AdapterProbe> {
  const gpu = gpuIn ?? findGpu();
  if (!gpu) return { available: false, why: 'no WebGPU in this browser' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, why: `requestAdapter failed (${String(e)})` };
  }
  if (!adapter) return { available: false, why: 'no GPU adapter' };
  const info = (adapter as unknown as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const fallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || info?.isFallbackAdapter === true;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s): s is string => !!s);
  const name = parts.join(' ') || 'unknown adapter';
  return { available: true, software: fallback || SOFTWARE_ADAPTER.test(name), name };
}
