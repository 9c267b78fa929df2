/**
 * Reading the safetensors format: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }`, then the data.
 * Offsets are relative to the end of the header. Bad files raise WeightsFormatError.
 */
import { WeightsFormatError } from '../api/errors';
import { f16ArrayToF32 } from './f16';

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

/** The most header bytes a file may declare (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const TENSOR_KEYS = new Set(['dtype', 'shape', 'data_offsets']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse and check the header from the first bytes of a file (at least 8 + header length bytes). Every
 * field is checked: the header is a JSON object; `__metadata__` maps strings to strings; each tensor
 * has exactly dtype, shape and data_offsets; dtypes are known; shapes and offsets are non-negative
 * integers; each tensor's bytes are exactly prod(shape) × dtype size, within the file after the
 * header; no two tensors share a byte. Anything else is a WeightsFormatError naming the tensor.
 */
export function parseSafetensorsHeader(file: string, head: Uint8Array, fileSize: number): SafetensorsHeader {
  if (head.byteLength < 8) throw new WeightsFormatError(file, 'shorter than the 8-byte header length');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBig = dv.getBigUint64(0, true);
  if (lenBig > BigInt(Math.max(0, Math.min(fileSize - 8, MAX_HEADER_BYTES)))) throw new WeightsFormatError(file, `header length ${lenBig} does not fit the file of ${fileSize} bytes`);
  const len = Number(lenBig);
  if (head.byteLength < 8 + len) throw new WeightsFormatError(file, `need ${8 + len} bytes to read the header, got ${head.byteLength}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + len)));
  } catch (e) {
    throw new WeightsFormatError(file, `header is not valid UTF-8 JSON (${String(e)})`);
  }
  if (!isObject(json)) throw new WeightsFormatError(file, `header is ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}, not a JSON object`);
  const dataStart = 8 + len;
  const dataBytes = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw new WeightsFormatError(file, '__metadata__ must map strings to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    const where = `tensor "${name}"`;
    if (!isObject(v)) throw new WeightsFormatError(file, `${where} is not an object`);
    const extra = Object.keys(v).filter((k) => !TENSOR_KEYS.has(k));
    if (extra.length) throw new WeightsFormatError(file, `${where} has unknown fields ${extra.join(', ')}`);
    if (typeof v.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, v.dtype)) throw new WeightsFormatError(file, `${where} has unsupported dtype ${JSON.stringify(v.dtype)}`);
    if (!Array.isArray(v.shape) || !v.shape.every(isCount)) throw new WeightsFormatError(file, `${where} has a bad shape ${JSON.stringify(v.shape)} (non-negative integers expected)`);
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[0] > off[1]) {
      throw new WeightsFormatError(file, `${where} has bad data_offsets ${JSON.stringify(off)} (two non-negative integers, begin ≤ end)`);
    }
    const dtype = v.dtype as SafetensorsDtype;
    const shape = v.shape as number[];
    const elems = shape.reduce((a, b) => a * b, 1);
    const bytes = off[1] - off[0];
    const want = elems * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(want) || bytes !== want) throw new WeightsFormatError(file, `${where} ${dtype}[${shape}] needs ${want} bytes, data_offsets give ${bytes}`);
    if (off[1] > dataBytes) throw new WeightsFormatError(file, `${where} ends at byte ${dataStart + off[1]}, past the end of the file (${fileSize} bytes): truncated or corrupt`);
    tensors.set(name, { name, dtype, shape, begin: dataStart + off[0], bytes });
  }
  // Every data byte belongs to exactly one tensor, as the format requires: no tensor reads another's
  // data, and no unindexed bytes can hide another file (a polyglot).
  const spans = [...tensors.values()].filter((t) => t.bytes > 0).sort((a, b) => a.begin - b.begin);
  let end = dataStart;
  for (let k = 0; k < spans.length; k++) {
    const t = spans[k];
    if (t.begin < end) throw new WeightsFormatError(file, `tensors "${spans[k - 1].name}" and "${t.name}" overlap (bytes ${t.begin}–${end})`);
    if (t.begin > end) throw new WeightsFormatError(file, `bytes ${end}–${t.begin} before tensor "${t.name}" belong to no tensor`);
    end = t.begin + t.bytes;
  }
  if (end !== fileSize) throw new WeightsFormatError(file, `bytes ${end}–${fileSize} at the end belong to no tensor`);
  return { tensors, metadata, dataStart };
}

/** Parse a whole in-memory safetensors file. */
export function parseSafetensors(file: string, data: Uint8Array): SafetensorsHeader {
  return parseSafetensorsHeader(file, data, data.byteLength);
}

/**
 * Index of the first NaN or ±Inf among a tensor's raw values (F32, F16, BF16; integer dtypes have none),
 * or -1. Reads the exponent bits only, a word at a time: ~1 ms per 4 MB.
 */
export function firstNonFinite(raw: Uint8Array, dtype: SafetensorsDtype): number {
  const aligned = raw.byteOffset % 4 === 0 ? raw : raw.slice();
  if (dtype === 'F32') {
    const u = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
    for (let i = 0; i < u.length; i++) if ((u[i] & 0x7f800000) === 0x7f800000) return i;
    return -1;
  }
  if (dtype !== 'F16' && dtype !== 'BF16') return -1;
  const exp = dtype === 'F16' ? 0x7c00 : 0x7f80;
  // Two halves per 32-bit word (little-endian: element 2i in the low half), then an odd last element.
  const w = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
  const hi = exp << 16;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if ((v & exp) === exp) return 2 * i;
    if ((v & hi) >>> 0 === hi >>> 0) return 2 * i + 1;
  }
  const n = aligned.byteLength >> 1;
  if (n % 2) {
    const last = new Uint16Array(aligned.buffer, aligned.byteOffset + 2 * (n - 1), 1)[0];
    if ((last & exp) === exp) return n - 1;
  }
  return -1;
}

/** A tensor's values as f32 (F32, F16, BF16, I8/U8/I32/U32 converted), for CPU use of small tensors. */
export function tensorToF32(data: Uint8Array, t: TensorInfo): Float32Array {
  const n = t.bytes / DTYPE_BYTES[t.dtype];
  const bytes = data.slice(t.begin, t.begin + t.bytes); // copy: alignment for typed views
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(bytes.buffer);
    case 'F16': {
      return f16ArrayToF32(new Uint16Array(bytes.buffer));
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
