/**
 * Records many dispatches into one command buffer, so a whole scale is one submit (a submit→done
 * round trip costs milliseconds on some devices; a batched dispatch costs microseconds).
 *
 * Binding convention for every shader in shaders/: `@group(0) @binding(0)` is the uniform
 * `Params` struct (when the kernel has uniforms), then storage buffers at bindings 1..N in the
 * order the kernel's TypeScript passes them.
 */
import type { GpuContext } from './device';
import type { Defines } from './wgsl-preprocess';
import type { UniformWriter } from './uniform-arena';
import { packUniforms, type UniformValues } from './uniform-layout';
import { UniformLayoutError } from '../api/errors';

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** A result a scheduled step leaves on the GPU for the driver to read back: `bytes` at byte `offset`. */
export interface GpuOutput {
  buffer: GPUBuffer;
  offset: number;
  bytes: number;
}

export interface DispatchSpec {
  shader: string;
  defines?: Defines;
  entryPoint?: string;
  /** The shader's `Params` by field name (uniform-layout.ts packs them as the WGSL declares); bound at binding 0. */
  uniforms?: UniformValues;
  /** Storage buffers, bound at 1..N (or 0..N-1 when there are no uniforms). */
  bindings: Binding[];
  workgroups: readonly [number, number?, number?];
  label?: string;
}

export class Recorder {
  private encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private uniforms: UniformWriter;
  /** Dispatches recorded so far (for benchmarks and tests). */
  dispatches = 0;

  constructor(readonly ctx: GpuContext, label = 'nextscale') {
    this.encoder = ctx.device.createCommandEncoder({ label });
    this.uniforms = ctx.uniforms.begin();
  }

  dispatch(spec: DispatchSpec): void {
    const { device, pipelines, limits } = this.ctx;
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x === 0 || y === 0 || z === 0) return; // empty work: nothing to do
    const maxWg = limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new Error(`${spec.shader}: dispatch (${x},${y},${z}) exceeds maxComputeWorkgroupsPerDimension ${maxWg}`);
    }
    const { pipeline, params } = pipelines.get(spec.shader, spec.defines ?? {}, spec.entryPoint ?? 'main');
    const entries: GPUBindGroupEntry[] = [];
    let slot = 0;
    if (params && !spec.uniforms) throw new UniformLayoutError(spec.shader, 'the shader declares struct Params but no uniforms were given');
    if (spec.uniforms) {
      if (!params) throw new UniformLayoutError(spec.shader, 'uniforms were given but the shader declares no struct Params');
      const u = this.uniforms.write(packUniforms(spec.shader, params, spec.uniforms));
      entries.push({ binding: slot++, resource: { buffer: u.buffer, offset: u.offset, size: u.size } });
    }
    for (const b of spec.bindings) {
      const resource = 'buffer' in b && !(b instanceof GPUBufferCtor()) ? b : { buffer: b as GPUBuffer };
      entries.push({ binding: slot++, resource: resource as GPUBufferBinding });
    }
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: spec.label ?? spec.shader });
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Fill a buffer range with zeros (bytes a multiple of 4). */
  clear(buf: GPUBuffer, offset = 0, bytes?: number): void {
    this.endPass();
    this.encoder.clearBuffer(buf, offset, bytes);
  }

  /** Access to the raw encoder (timestamps, readback copies). Ends the open compute pass. */
  rawEncoder(): GPUCommandEncoder {
    this.endPass();
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Finish and submit. The recorder cannot be used afterwards. */
  submit(): void {
    this.endPass();
    this.uniforms.flush();
    this.ctx.device.queue.submit([this.encoder.finish()]);
  }
}

function GPUBufferCtor(): { new (): GPUBuffer } {
  // In Node ("webgpu" package) GPUBuffer may not be a global; fall back to a duck-typed class.
  const g = (globalThis as { GPUBuffer?: { new (): GPUBuffer } }).GPUBuffer;
  return g ?? (class {} as unknown as { new (): GPUBuffer });
}
