// Test helper: a safetensors file without the tensors `drop` selects (header and offsets rebuilt).
import type { ByteSource } from '../../src/models/weights';

export function stripTensors(src: ByteSource, drop: (name: string) => boolean): ByteSource {
  const all = src.slice(0, src.size);
  const hlen = Number(new DataView(all.buffer, all.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(all.subarray(8, 8 + hlen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const kept: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') {
      kept[name] = t;
      continue;
    }
    if (drop(name)) continue;
    const bytes = all.subarray(8 + hlen + t.data_offsets[0], 8 + hlen + t.data_offsets[1]);
    kept[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes.byteLength] };
    chunks.push(bytes);
    off += bytes.byteLength;
  }
  let json = JSON.stringify(kept);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let p = 8 + head.byteLength;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return { size: out.byteLength, slice: (a, b) => out.subarray(a, b) };
}

/** Test helper: the same file with one header entry changed (its bytes stay where they are). */
export function relabelTensor(src: ByteSource, name: string, dtype: string): ByteSource {
  const all = src.slice(0, src.size);
  const hlen = Number(new DataView(all.buffer, all.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(all.subarray(8, 8 + hlen))) as Record<string, { dtype: string }>;
  header[name].dtype = dtype;
  let json = JSON.stringify(header);
  json += ' '.repeat(Math.max(0, hlen - json.length));
  if (json.length !== hlen) throw new Error('relabelTensor: the header grew');
  const out = all.slice();
  out.set(new TextEncoder().encode(json), 8);
  return { size: out.byteLength, slice: (a, b) => out.subarray(a, b) };
}

/** Test helper: the same file plus one more F32 tensor of `n` values (a tensor the model does not name). */
export function withExtraTensor(src: ByteSource, name: string, n: number): ByteSource {
  const all = src.slice(0, src.size);
  const hlen = Number(new DataView(all.buffer, all.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(all.subarray(8, 8 + hlen))) as Record<string, unknown>;
  const data = all.subarray(8 + hlen);
  header[name] = { dtype: 'F32', shape: [n], data_offsets: [data.byteLength, data.byteLength + 4 * n] };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + data.byteLength + 4 * n);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  out.set(data, 8 + head.byteLength);
  return { size: out.byteLength, slice: (a, b) => out.subarray(a, b) };
}
