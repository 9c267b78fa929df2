/**
 * Model weights on the GPU: tensors from safetensors files packed into a few shard buffers, each
 * at most min(256 MiB, maxStorageBufferBindingSize). Kernels take a buffer plus an offset in
 * 4-byte words, so a tensor never needs a buffer of its own.
 *
 * Storage dtypes: F16 matrices stay f16 (two per u32, as the file holds them); F32 stays f32;
 * small or odd tensors (vectors, norms, biases, embedding tables, codebooks) and anything whose
 * kernel wants f32 are converted to f32 on upload (`toF32`).
 */
import type { LinearWeights } from '../kernels/matmul';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, writeBuffer } from '../gpu/buffers';
import { firstNonFinite, parseSafetensorsHeader, tensorToF32, type SafetensorsDtype, type TensorInfo } from '../formats/safetensors';
import { BufferTooLargeError, ModelConfigError, WeightsFormatError } from '../api/errors';
import { f32ToF16Bits } from '../formats/f16';

export interface GpuWeight {
  name: string;
  shape: readonly number[];
  dtype: 'f32' | 'f16';
  buffer: GPUBuffer;
  /** Offset in 4-byte words from the start of `buffer`. */
  offset: number;
  /** Bytes on the GPU. */
  bytes: number;
}

/** Strict loading: a tensor of the files that the model did not bind is a ModelConfigError. */
export function assertNoneUnused(names: readonly string[], used: ReadonlySet<string>): void {
  const extra = names.filter((n) => !used.has(n));
  if (extra.length) {
    const shown = extra.slice(0, 5).map((n) => `"${n}"`).join(', ');
    throw new ModelConfigError(`${extra.length} tensor(s) in the weights are not part of this model as its config describes it (${shown}${extra.length > 5 ? ', …' : ''}); the config and the weights disagree (e.g. the number of layers)`);
  }
}

/** A source of file bytes: the store's ModelFile or a plain Uint8Array. */
export interface ByteSource {
  size: number;
  slice(start: number, end: number): Uint8Array;
  /** Its values were found finite when it was first stored (the store records it); skip the scan. */
  readonly valuesChecked?: boolean;
}

export const MAX_SHARD_BYTES = 256 << 20;
/** An I8 tensor's per-row (dim 0) f32 scales: value = int8 · scale (tools/convert_var.py --dtype int8). */
export const INT8_SCALE = '.int8_scale';
const ALIGN = 256;

export class WeightSet {
  private byName = new Map<string, GpuWeight>();
  private shards: GPUBuffer[] = [];
  /** Tensors a model has bound (strict loading: every tensor of the files must be one of them). */
  private used = new Set<string>();
  totalBytes = 0;

  /** The tensor, or a ModelConfigError naming what is missing. */
  get(name: string): GpuWeight {
    const w = this.byName.get(name);
    if (!w) throw new ModelConfigError(`tensor "${name}" is missing from the weights`);
    this.used.add(name);
    return w;
  }

  /** Tensors the model reads on the CPU instead of binding them. */
  markUsed(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /**
   * Strict loading, like PyTorch's load_state_dict(strict=True): a tensor the model did not bind is
   * an error (a config with fewer layers than the weights, a stray or planted tensor).
   */
  assertAllUsed(): void {
    assertNoneUnused([...this.byName.keys()], this.used);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Parameters: the elements of every tensor (quantization scales included). */
  get parameters(): number {
    let n = 0;
    for (const w of this.byName.values()) n += w.shape.reduce((a, d) => a * d, 1);
    return n;
  }

  /** Check a tensor's shape against what the config implies. */
  expectShape(name: string, shape: readonly number[]): GpuWeight {
    const w = this.get(name);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new ModelConfigError(`tensor "${name}" has shape [${w.shape}] but the config implies [${shape}]`);
    }
    return w;
  }

  /** @internal */
  add(w: GpuWeight): void {
    this.byName.set(w.name, w);
  }

  /** @internal */
  addShard(b: GPUBuffer, bytes: number): void {
    this.shards.push(b);
    this.totalBytes += bytes;
  }

  destroy(): void {
    for (const b of this.shards) b.destroy();
    this.shards = [];
    this.byName.clear();
    this.totalBytes = 0;
  }
}

interface Planned {
  info: TensorInfo;
  file: ByteSource;
  dtype: 'f32' | 'f16';
  bytes: number;
  shard: number;
  byteOffset: number;
}

/** The parsed safetensors header of one file (strict: see formats/safetensors.ts). */
export function readHeader(name: string, src: ByteSource) {
  const first8 = src.slice(0, 8);
  if (first8.byteLength < 8) return parseSafetensorsHeader(name, first8, src.size);
  const len = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  return parseSafetensorsHeader(name, src.slice(0, Math.min(src.size, 8 + len)), src.size);
}

/**
 * Upload every tensor of the given safetensors files. `toF32(name, info)` says which tensors to
 * convert to f32; by default every tensor with fewer than 2 dims or an odd last dim. `dtypes`: the
 * storage dtypes the model format allows (anything else, e.g. F16 data relabelled BF16, is refused).
 */
export function uploadSafetensors(
  ctx: GpuContext,
  files: ReadonlyArray<{ name: string; source: ByteSource }>,
  toF32: (name: string, info: TensorInfo) => boolean = (_, i) => i.shape.length < 2 || i.shape[i.shape.length - 1] % 2 === 1,
  dtypes: readonly SafetensorsDtype[] = ['F32', 'F16'],
): WeightSet {
  const shardLimit = Math.min(MAX_SHARD_BYTES, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const plan: Planned[] = [];
  const shardSizes: number[] = [0];
  const int8Scales = new Map<string, { info: TensorInfo; file: ByteSource }>();
  const headers = files.map((f) => ({ f, header: readHeader(f.name, f.source) }));
  // Before any GPU allocation: a refused file leaves nothing behind.
  for (const { f, header } of headers) {
    if (!f.source.valuesChecked) for (const info of header.tensors.values()) refuseNonFinite(f.name, f.source, info);
  }
  for (const { f, header } of headers) {
    for (const info of header.tensors.values()) if (info.name.endsWith(INT8_SCALE)) int8Scales.set(info.name.slice(0, -INT8_SCALE.length), { info, file: f.source });
  }
  for (const { f, header } of headers) {
    for (const info of header.tensors.values()) {
      if (!dtypes.includes(info.dtype) || (info.name.endsWith(INT8_SCALE) && info.dtype !== 'F32')) {
        throw new WeightsFormatError(f.name, `tensor "${info.name}" is stored as ${info.dtype}, which this model format does not use (it stores ${dtypes.join(', ')}${dtypes.includes('I8') ? ', with F32 int8 scales' : ''})`);
      }
      if (info.name.endsWith(INT8_SCALE)) continue;
      const n = info.shape.reduce((a, b) => a * b, 1);
      if (info.dtype === 'I8' && !int8Scales.has(info.name)) throw new ModelConfigError(`int8 tensor "${info.name}" has no "${info.name}${INT8_SCALE}" scales`);
      const wantF32 = (info.dtype !== 'F16' && info.dtype !== 'I8') || toF32(info.name, info);
      const dtype = wantF32 ? 'f32' : 'f16';
      const bytes = Math.ceil((wantF32 ? n * 4 : n * 2) / 4) * 4;
      if (bytes > shardLimit) throw new BufferTooLargeError(`tensor "${info.name}"`, bytes, 'shard size (min of 256 MiB and maxStorageBufferBindingSize)', shardLimit);
      let s = shardSizes.length - 1;
      let at = Math.ceil(shardSizes[s] / ALIGN) * ALIGN;
      if (at + bytes > shardLimit) {
        shardSizes.push(0);
        s++;
        at = 0;
      }
      shardSizes[s] = at + bytes;
      plan.push({ info, file: f.source, dtype, bytes, shard: s, byteOffset: at });
    }
  }
  const set = new WeightSet();
  const shards = shardSizes.map((size, i) => {
    const b = createStorageBuffer(ctx, Math.max(size, 4), `weights-shard-${i}`);
    set.addShard(b, size);
    return b;
  });
  for (const p of plan) {
    const raw = p.file.slice(p.info.begin, p.info.begin + p.info.bytes);
    let data: Uint8Array;
    const scales = p.info.dtype === 'I8' ? int8Scales.get(p.info.name)! : undefined;
    if (scales) {
      const s = tensorToF32(scales.file.slice(scales.info.begin, scales.info.begin + scales.info.bytes), { ...scales.info, begin: 0 });
      data = dequantInt8(raw, p.info.shape, s, p.dtype, p.info.name);
    } else if (p.dtype === 'f32' && p.info.dtype !== 'F32') {
      const local = { ...p.info, begin: 0 };
      data = new Uint8Array(tensorToF32(raw, local).buffer);
    } else data = raw;
    writeBuffer(ctx, shards[p.shard], data, p.byteOffset);
    set.add({ name: p.info.name, shape: p.info.shape, dtype: p.dtype, buffer: shards[p.shard], offset: p.byteOffset / 4, bytes: p.bytes });
  }
  return set;
}

/** A weight holding NaN or ±Inf would only ever draw garbage: refuse the file and say where. */
export function refuseNonFinite(file: string, src: ByteSource, info: TensorInfo): void {
  const at = firstNonFinite(src.slice(info.begin, info.begin + info.bytes), info.dtype);
  if (at >= 0) throw new WeightsFormatError(file, `tensor "${info.name}" holds a NaN or infinite value (element ${at})`);
}

/** A ByteSource over an in-memory file. */
export function bytesSource(data: Uint8Array): ByteSource {
  return { size: data.byteLength, slice: (a, b) => data.subarray(a, b) };
}

/**
 * int8 weights with per-row scales to f16 (or f32) bytes for the GPU: int8 only shrinks the
 * download and the cache; the kernels read f16.
 */
export function dequantInt8(raw: Uint8Array, shape: readonly number[], scales: Float32Array, dtype: 'f32' | 'f16', name: string): Uint8Array {
  const rows = shape[0];
  if (scales.length !== rows) throw new ModelConfigError(`"${name}${INT8_SCALE}" has ${scales.length} scales for ${rows} rows`);
  const per = raw.byteLength / rows;
  const q = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'f32') {
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) out[i] = q[i] * scales[Math.floor(i / per)];
    return new Uint8Array(out.buffer);
  }
  const out = new Uint16Array(q.length + (q.length % 2));
  for (let i = 0; i < q.length; i++) out[i] = f32ToF16Bits(q[i] * scales[Math.floor(i / per)]);
  return new Uint8Array(out.buffer);
}

/** Named tensors as f32 on the CPU (small tables the engine combines before upload). */
export function readTensorsF32(files: ReadonlyArray<{ name: string; source: ByteSource }>, names: string[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const f of files) {
    const h = readHeader(f.name, f.source);
    for (const n of names) {
      const t = h.tensors.get(n);
      if (t) out.set(n, tensorToF32(f.source.slice(t.begin, t.begin + t.bytes), { ...t, begin: 0 }));
    }
  }
  return out;
}

/** The safetensors files a config names, from the loaded folder; a missing one is a ModelConfigError. */
export function weightFiles(names: readonly string[], loaded: ReadonlyMap<string, ByteSource>): Array<{ name: string; source: ByteSource }> {
  return names.map((name) => {
    const source = loaded.get(name);
    if (!source) throw new ModelConfigError(`weights file "${name}" named in config.files.weights is missing`);
    return { name, source };
  });
}

/** A weight's buffer and offset, as the kernels take a tensor. */
export const weightRef = (w: GpuWeight): { buffer: GPUBuffer; offset: number } => ({ buffer: w.buffer, offset: w.offset });

/** A PyTorch Linear's weight (and bias) as the matmul kernel takes them. */
export const linearWeights = (w: GpuWeight, b?: GpuWeight): LinearWeights => ({ dtype: w.dtype, w: weightRef(w), bias: b ? weightRef(b) : undefined });
