/**
 * Packing converted checkpoint tensors into a model folder's safetensors shards, shared by the families
 * that load official PyTorch files (models/var/convert-pth.ts, models/infinity/convert-pth.ts): values read
 * as f32 whatever their stored float dtype, each tensor encoded as f32, f16 or int8 with per-row scales,
 * shards of at most 256 MiB written as Python's safetensors writer does (header JSON without spaces,
 * padded to 8; within a file F32, then F16, then I8, so every offset is naturally aligned).
 */
import { CheckpointLayoutError } from '../api/errors';
import type { PthTensor, StorageDtype } from '../formats/pth';
import { f16BitsToF32, f32ToF16Bits } from '../formats/f16';
import { encodeSafetensors, safetensorsSize } from '../formats/safetensors-write';

export const SHARD_LIMIT = 256 * 1024 * 1024;

/** How the converter stores a tensor: 'f32' keeps full precision, 'f16' halves it, 'int8' quarters the big matrices. */
export type ConvertDtype = 'f32' | 'f16' | 'int8';

export type Encoded = { name: string; dtype: 'F32' | 'F16' | 'I8'; shape: number[]; data: Uint8Array };

export interface PlannedTensor {
  name: string;
  shape: number[];
  values: () => Promise<Float32Array>;
}

/** A tensor's values as f32, whatever its stored float dtype. */
export async function asF32(t: PthTensor): Promise<Float32Array> {
  const raw = await t.bytes();
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  const conv: Partial<Record<StorageDtype, () => Float32Array>> = {
    F32: () => new Float32Array(buf),
    F16: () => Float32Array.from(new Uint16Array(buf), f16BitsToF32),
    BF16: () => new Float32Array(Uint32Array.from(new Uint16Array(buf), (u) => u << 16).buffer),
    F64: () => Float32Array.from(new Float64Array(buf)),
  };
  const f = conv[t.dtype];
  if (!f) throw new CheckpointLayoutError('shape', `${t.name} is stored as ${t.dtype}, expected a float tensor`);
  return f();
}

/** One tensor as stored: vectors and `keepF32` tensors in f32; big matrices in int8 when asked; the rest in `dtype`. */
export function encodeTensor(name: string, shape: number[], v: Float32Array, dtype: ConvertDtype, keepF32: boolean): Encoded[] {
  if (dtype === 'f32' || shape.length <= 1 || keepF32) {
    return [{ name, dtype: 'F32', shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) }];
  }
  const big = (shape.length === 2 && Math.min(...shape) >= 256) || (shape.length === 4 && v.length >= 65536);
  if (dtype === 'int8' && big) {
    const rows = shape[0];
    const per = v.length / rows;
    const q = new Int8Array(v.length);
    const scale = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let i = r * per; i < (r + 1) * per; i++) m = Math.max(m, Math.abs(v[i]));
      const s = Math.fround(m / 127) || 1;
      scale[r] = s;
      for (let i = r * per; i < (r + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(v[i] / s))));
    }
    return [
      { name, dtype: 'I8', shape, data: new Uint8Array(q.buffer) },
      { name: `${name}.int8_scale`, dtype: 'F32', shape: [rows], data: new Uint8Array(scale.buffer) },
    ];
  }
  const h = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    h[i] = f32ToF16Bits(v[i]);
    if ((h[i] & 0x7c00) === 0x7c00) throw new CheckpointLayoutError('shape', `${name}: expected values within float16 range, found overflow`);
  }
  return [{ name, dtype: 'F16', shape, data: new Uint8Array(h.buffer) }];
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const ITEM = { F32: 4, F16: 2, I8: 1 } as const;

/**
 * The planned tensors, read one at a time and encoded, in shards of at most SHARD_LIMIT bytes named
 * model-0000i.safetensors. `onTensor` reports progress (and may throw to cancel).
 */
export async function packShards(
  plan: PlannedTensor[],
  meta: Record<string, string>,
  encode: (name: string, shape: number[], v: Float32Array) => Encoded[],
  onTensor?: (done: number, total: number) => void,
): Promise<{ files: Map<string, Uint8Array>; shardNames: string[] }> {
  const shards: Encoded[][] = [];
  let current: Encoded[] = [];
  let done = 0;
  for (const item of plan) {
    for (const e of encode(item.name, item.shape, await item.values())) {
      if (safetensorsSize([e], meta) > SHARD_LIMIT) throw new CheckpointLayoutError('too-large', `${e.name}: ${e.data.byteLength} bytes, expected at most ${SHARD_LIMIT} per shard`);
      if (current.length && safetensorsSize([...current, e], meta) > SHARD_LIMIT) {
        shards.push(current);
        current = [];
      }
      current.push(e);
    }
    onTensor?.(++done, plan.length);
  }
  if (current.length) shards.push(current);
  const files = new Map<string, Uint8Array>();
  const shardNames = shards.map((_, i) => `model-${String(i).padStart(5, '0')}.safetensors`);
  shards.forEach((s, i) => {
    const sorted = s.map((e, j) => [e, j] as const).sort((a, b) => ITEM[b[0].dtype] - ITEM[a[0].dtype] || a[1] - b[1]).map(([e]) => e);
    files.set(shardNames[i], encodeSafetensors(sorted, meta));
  });
  return { files, shardNames };
}
