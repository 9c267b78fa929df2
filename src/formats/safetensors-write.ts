/**
 * Writing a safetensors file: the tensors back to back in the order given, the header JSON as Python's
 * json.dumps(separators=(",", ":")) writes it (with "__metadata__" last), padded with spaces to 8 bytes.
 */
import type { SafetensorsDtype } from './safetensors';

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

function header(tensors: readonly TensorToWrite[], meta?: Record<string, string>): { json: Uint8Array; dataBytes: number } {
  const h: Record<string, unknown> = {};
  let off = 0;
  for (const t of tensors) {
    h[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  if (meta) h.__metadata__ = meta;
  const text = JSON.stringify(h);
  return { json: new TextEncoder().encode(text + ' '.repeat((8 - (text.length % 8)) % 8)), dataBytes: off };
}

/** The file's size for these tensors, without building it. */
export function safetensorsSize(tensors: readonly TensorToWrite[], meta?: Record<string, string>): number {
  const { json, dataBytes } = header(tensors, meta);
  return 8 + json.length + dataBytes;
}

export function encodeSafetensors(tensors: readonly TensorToWrite[], meta?: Record<string, string>): Uint8Array {
  const { json, dataBytes } = header(tensors, meta);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of tensors) {
    out.set(t.data, p);
    p += t.data.byteLength;
  }
  return out;
}
