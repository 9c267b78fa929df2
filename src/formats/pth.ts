/**
 * PyTorch checkpoints as torch.save writes them: a zip (zip64 for files over 4 GB) holding
 * <archive>/data.pkl, the pickled state dict, and <archive>/data/<key>, one raw storage per key. The zip is
 * read with zip.js through random access (only the central directory, the pickle and the storages asked
 * for are read); the pickle through the restricted unpickler (pickle.ts), which never runs anything.
 */
import { configure, Reader, Uint8ArrayWriter, ZipReader, type Entry } from '@zip.js/zip.js';
import { CheckpointFormatError } from '../api/errors';
import { unpickle, type PyValue, type StorageDtype, type TensorRef } from './pickle';

export type { StorageDtype } from './pickle';

/**
 * Random access to a file's bytes: in memory, on disk, or over HTTP Range requests, so a multi-GB checkpoint
 * never has to be held whole (only the zip's directory, the pickle and one storage at a time are read).
 */
export interface RandomAccess {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** A RandomAccess over bytes in memory. */
export function bytesAccess(b: Uint8Array): RandomAccess {
  return { size: b.length, read: async (s, e) => b.subarray(s, e) };
}

export const STORAGE_BYTES: Readonly<Record<StorageDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface PthTensor {
  name: string;
  dtype: StorageDtype;
  shape: number[];
  /** The tensor's values, row-major and contiguous, little-endian (a copy). */
  bytes(): Promise<Uint8Array>;
}

configure({ useWebWorkers: false });

class SourceReader extends Reader<RandomAccess> {
  /** Bytes shown in place of the file's own at `at` (see zip64Patch). */
  private patch: { at: number; bytes: Uint8Array } | null = null;
  constructor(private readonly src: RandomAccess) {
    super(src);
  }
  async init(): Promise<void> {
    this.size = this.src.size;
    this.patch = await zip64Patch(this.src);
  }
  async readUint8Array(index: number, length: number): Promise<Uint8Array> {
    const b = await this.src.read(index, index + length);
    if (b.length !== length) throw new Error(`read ${b.length} of ${length} bytes at ${index}`);
    const p = this.patch;
    if (p && index < p.at + p.bytes.length && p.at < index + length) {
      for (let i = 0; i < p.bytes.length; i++) if (p.at + i >= index && p.at + i < index + length) b[p.at + i - index] = p.bytes[i];
    }
    return b;
  }
}

/**
 * torch.save writes a zip64 end record before the classic one even when every value fits 32 bits. zip.js
 * only follows the zip64 record when the classic one says 0xFFFFFFFF, and otherwise reconciles the stored
 * directory offset with where the classic record sits: 76 bytes off (the zip64 records), which is exactly
 * one directory entry when every name is 30 characters (e.g. "infinity_125M_256x256/data/123"), so it
 * starts one entry late and fails. Showing 0xFFFFFFFF as the classic record's directory offset (when a
 * zip64 locator precedes it) makes zip.js read the zip64 record, which holds the same values.
 */
async function zip64Patch(src: RandomAccess): Promise<{ at: number; bytes: Uint8Array } | null> {
  const eocd = src.size - 22; // torch writes no archive comment
  if (eocd < 20) return null;
  const tail = await src.read(eocd - 20, src.size);
  const sig = (o: number) => new DataView(tail.buffer, tail.byteOffset + o, 4).getUint32(0, true);
  if (tail.length !== 42 || sig(20) !== 0x06054b50 || sig(0) !== 0x07064b50) return null;
  return { at: eocd + 16, bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff]) };
}

/** The tensors of a torch.save state dict, in file order. `file` names it in errors. */
export async function readPth(src: RandomAccess, file: string): Promise<PthTensor[]> {
  let entries: Entry[];
  try {
    entries = await new ZipReader(new SourceReader(src)).getEntries();
  } catch (e) {
    throw new CheckpointFormatError(file, `not a readable zip archive (${(e as Error).message})`);
  }
  const pkl = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.filename));
  if (pkl.length !== 1) throw new CheckpointFormatError(file, `${pkl.length ? 'several' : 'no'} <archive>/data.pkl in the zip (is it a torch.save file?)`);
  const archive = pkl[0].filename.slice(0, -'/data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.filename, e]));
  const order = byName.get(`${archive}/byteorder`);
  if (order && new TextDecoder().decode(await read(order, file)).trim() !== 'little') throw new CheckpointFormatError(file, 'a big-endian checkpoint');
  const root = unpickle(await read(pkl[0], file), file);
  const dict = stateDict(root, file);
  return [...dict].map(([name, t]) => ({
    name,
    dtype: t.storage.dtype,
    shape: t.shape,
    bytes: async () => {
      const entry = byName.get(`${archive}/data/${t.storage.key}`);
      if (!entry) throw new CheckpointFormatError(file, `the storage of "${name}" (${archive}/data/${t.storage.key}) is missing from the zip`);
      const want = t.storage.numel * STORAGE_BYTES[t.storage.dtype];
      if (entry.uncompressedSize !== want) throw new CheckpointFormatError(file, `storage ${t.storage.key} holds ${entry.uncompressedSize} bytes, not the ${want} its ${t.storage.numel} ${t.storage.dtype} elements take`);
      // Read on demand and not kept: converting tensor by tensor holds one storage at a time.
      return gather(await read(entry, file), t);
    },
  }));
}

async function read(entry: Entry, file: string): Promise<Uint8Array> {
  if (entry.directory || !entry.getData) throw new CheckpointFormatError(file, `${entry.filename} is not a file`);
  try {
    return await entry.getData(new Uint8ArrayWriter(), { checkSignature: true });
  } catch (e) {
    throw new CheckpointFormatError(file, `${entry.filename} cannot be read (${(e as Error).message})`);
  }
}

/** name → tensor of the checkpoint: the top-level dict, or its "state_dict" / "model" entry. */
function stateDict(root: PyValue, file: string): Map<string, TensorRef> {
  const isTensor = (v: PyValue | undefined): v is TensorRef => !!v && typeof v === 'object' && 'kind' in v && v.kind === 'tensor';
  const asDict = (v: PyValue | undefined): Map<string, TensorRef> | undefined => {
    if (!(v instanceof Map) || v.size === 0) return undefined;
    for (const [k, t] of v) if (typeof k !== 'string' || !isTensor(t)) return undefined;
    return v as Map<string, TensorRef>;
  };
  const direct = asDict(root);
  if (direct) return direct;
  if (root instanceof Map) for (const key of ['state_dict', 'model', 'vae']) if (asDict(root.get(key))) return asDict(root.get(key))!;
  throw new CheckpointFormatError(file, 'the pickle holds no state dict (a dict of names to tensors)');
}

/** The tensor's elements, row-major, out of its storage's bytes (strided views are gathered). */
function gather(data: Uint8Array, t: TensorRef): Uint8Array {
  const el = STORAGE_BYTES[t.storage.dtype];
  const n = t.shape.reduce((a, b) => a * b, 1);
  let expect = 1;
  let contiguous = true;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expect) contiguous = false;
    expect *= t.shape[i];
  }
  if (contiguous) return data.slice(t.offset * el, (t.offset + n) * el);
  const out = new Uint8Array(n * el);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = t.offset;
    for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
    out.set(data.subarray(src * el, (src + 1) * el), k * el);
    for (let d = idx.length - 1; d >= 0 && ++idx[d] === t.shape[d]; d--) idx[d] = 0;
  }
  return out;
}

