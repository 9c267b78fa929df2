/**
 * Compute pipelines cached by a printable key. A key holds only compile-time facts
 * ("matmul|W_F16=1|BM=64|QUAD=1"), so a new scale size never compiles a new pipeline.
 */
import { shaderSources } from './shaders.gen';
import { preprocessWgsl, definesKey, type Defines } from './wgsl-preprocess';
import { parseParamsLayout, type UniformLayout } from './uniform-layout';

const allSources: Record<string, string> = { ...shaderSources };

/** Make more shaders known to every pipeline cache (the benchmarks' own shaders, kept out of the library). */
export function addShaderSources(extra: Readonly<Record<string, string>>): void {
  Object.assign(allSources, extra);
}

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  /** The shader's `struct Params` as read from this variant's source (undefined: no uniforms). */
  params?: UniformLayout;
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();
  /** How many pipelines were compiled: tests use it to prove shapes don't recompile. */
  compiled = 0;

  constructor(private device: GPUDevice) {}

  /** The pipeline for `shaders/<shader>.wgsl` preprocessed with `defines`, with its uniform layout. */
  get(shader: string, defines: Defines = {}, entryPoint = 'main'): CachedPipeline {
    const key = `${shader}:${entryPoint}|${definesKey(defines)}`;
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const source = allSources[shader];
    if (source === undefined) throw new Error(`unknown shader "${shader}" (is it in shaders/ and was gen:shaders run?)`);
    const code = preprocessWgsl(source, defines, allSources);
    const module = this.device.createShaderModule({ code, label: key });
    // An explicit layout read from the declarations: 'auto' would drop bindings a variant does not
    // use, and then the same binding list could not serve every variant of a shader.
    const bindGroupLayout = this.device.createBindGroupLayout({ entries: layoutEntries(code), label: key });
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout], label: key });
    const pipeline = this.device.createComputePipeline({ layout, compute: { module, entryPoint }, label: key });
    this.compiled++;
    const entry = { pipeline, params: parseParamsLayout(shader, code) };
    this.pipelines.set(key, entry);
    return entry;
  }

  keys(): string[] {
    return [...this.pipelines.keys()];
  }
}

const COMPUTE_STAGE = 0x4;

/** Bind group layout entries for every `@group(0) @binding(n) var<...>` buffer declaration. */
export function layoutEntries(code: string): GPUBindGroupLayoutEntry[] {
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read_write|read))?\s*>/g;
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const m of code.matchAll(re)) {
    const type: GPUBufferBindingType = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    entries.push({ binding: Number(m[1]), visibility: COMPUTE_STAGE, buffer: { type } });
  }
  return entries;
}
