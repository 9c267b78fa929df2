/**
 * Reading the safetensors format: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }`, then the data.
 * Offsets are relative to the end of the header. Bad files raise WeightsFormatError.
 */
import { WeightsFormatError } from '../api/errors';
import { f16BitsToF32 } from './f16';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I8' | 'U8' | 'I32' | 'U32' | 'I64';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4, U32: 4, I64: 8 };

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offset of the data from the start of the file. */
  begin: number;
  /** Byte length. */
  bytes: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Byte offset where tensor data starts. */
  dataStart: number;
}

/** Parse the header from the first bytes of a file (at least 8 + header length bytes). */
export function parseSafetensorsHeader(file: string, head: Uint8Array, fileSize: number): SafetensorsHeader {
  if (head.byteLength < 8) throw new WeightsFormatError(file, 'shorter than the 8-byte header length');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBig = dv.getBigUint64(0, true);
  if (lenBig > BigInt(Math.min(fileSize - 8, 100 * 1024 * 1024))) throw new WeightsFormatError(file, `header length ${lenBig} does not fit the file of ${fileSize} bytes`);
  const len = Number(lenBig);
  if (head.byteLength < 8 + len) throw new WeightsFormatError(file, `need ${8 + len} bytes to read the header, got ${head.byteLength}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + len)));
  } catch (e) {
    throw new WeightsFormatError(file, `header is not valid JSON (${String(e)})`);
  }
  const dataStart = 8 + len;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) throw new WeightsFormatError(file, `tensor "${name}" has unsupported dtype ${t?.dtype}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new WeightsFormatError(file, `tensor "${name}" has a bad shape`);
    const off = t.data_offsets as number[];
    if (!Array.isArray(off) || off.length !== 2 || !(off[0] <= off[1])) throw new WeightsFormatError(file, `tensor "${name}" has bad data_offsets`);
    const dtype = t.dtype as SafetensorsDtype;
    const shape = t.shape as number[];
    const bytes = off[1] - off[0];
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (bytes !== want) throw new WeightsFormatError(file, `tensor "${name}" ${dtype}[${shape}] needs ${want} bytes, offsets give ${bytes}`);
    if (dataStart + off[1] > fileSize) throw new WeightsFormatError(file, `tensor "${name}" ends at ${dataStart + off[1]}, past the end of the file (${fileSize} bytes): truncated`);
    tensors.set(name, { name, dtype, shape, begin: dataStart + off[0], bytes });
  }
  return { tensors, metadata, dataStart };
}

/** Parse a whole in-memory safetensors file. */
export function parseSafetensors(file: string, data: Uint8Array): SafetensorsHeader {
  return parseSafetensorsHeader(file, data, data.byteLength);
}

/** A tensor's values as f32 (F32, F16, BF16, I8/U8/I32/U32 converted), for CPU use of small tensors. */
export function tensorToF32(data: Uint8Array, t: TensorInfo): Float32Array {
  const n = t.bytes / DTYPE_BYTES[t.dtype];
  const bytes = data.slice(t.begin, t.begin + t.bytes); // copy: alignment for typed views
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(bytes.buffer);
    case 'F16': {
      const u = new Uint16Array(bytes.buffer);
      return Float32Array.from(u, f16BitsToF32);
    }
    case 'BF16': {
      const u = new Uint16Array(bytes.buffer);
      const out = new Float32Array(n);
      const w = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) w[i] = u[i] << 16;
      return out;
    }
    case 'I8':
      return Float32Array.from(new Int8Array(bytes.buffer));
    case 'U8':
      return Float32Array.from(bytes);
    case 'I32':
      return Float32Array.from(new Int32Array(bytes.buffer));
    case 'U32':
      return Float32Array.from(new Uint32Array(bytes.buffer));
    case 'I64': {
      const v = new BigInt64Array(bytes.buffer);
      return Float32Array.from(v, (x) => Number(x));
    }
  }
}
