/**
 * A restricted unpickler for PyTorch checkpoints (the data.pkl of a torch.save zip). It understands the
 * opcodes of pickle protocols 2-5 that a saved state dict uses and builds plain values from them; it
 * never calls anything. A global is only looked up in ALLOWED (OrderedDict, the tensor rebuild helpers,
 * the storage types); any other global, whatever it would do, refuses the whole file with
 * UnsafeCheckpointError naming it. Every malformed input is a CheckpointFormatError.
 *
 * Values: None → null, bool, int → number (bigint past 2^53), float, str, bytes → Uint8Array,
 * list → array, tuple → PyTuple, dict / OrderedDict → Map, a tensor → TensorRef (its storage by key).
 */
import { CheckpointFormatError, UnsafeCheckpointError } from '../api/errors';

/** A storage's element type, by its torch class (torch.FloatStorage → 'F32'). */
export type StorageDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const STORAGE_TYPES: Readonly<Record<string, StorageDtype>> = {
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

export interface StorageRef {
  kind: 'storage';
  dtype: StorageDtype;
  /** The storage's file in the archive: <archive>/data/<key>. */
  key: string;
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  /** In elements. */
  offset: number;
  shape: number[];
  stride: number[];
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | Map<PyValue, PyValue> | TensorRef | StorageRef | PyGlobal;

/** A global the unpickler allows, as a value (it is only ever applied by REDUCE through its builder). */
export class PyGlobal {
  constructor(readonly name: string) {}
}

type Builder = (args: PyValue[], file: string) => PyValue;

const int = (v: PyValue, what: string, file: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CheckpointFormatError(file, `${what} is ${describe(v)}, not a non-negative integer`);
  return v;
};
const ints = (v: PyValue, what: string, file: string): number[] => {
  if (!(v instanceof PyTuple) && !Array.isArray(v)) throw new CheckpointFormatError(file, `${what} is ${describe(v)}, not a tuple`);
  return (v instanceof PyTuple ? v.items : v).map((x, i) => int(x, `${what}[${i}]`, file));
};

function rebuildTensor(args: PyValue[], file: string): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 4 || !storage || typeof storage !== 'object' || !('kind' in storage) || storage.kind !== 'storage') {
    throw new CheckpointFormatError(file, '_rebuild_tensor_v2 without a storage');
  }
  const shape = ints(size, 'tensor size', file);
  const strides = ints(stride, 'tensor stride', file);
  if (strides.length !== shape.length) throw new CheckpointFormatError(file, `a tensor of ${shape.length} dims has ${strides.length} strides`);
  const off = int(offset, 'storage offset', file);
  // The last element must lie inside the storage (an empty tensor reads nothing).
  const empty = shape.some((d) => d === 0);
  const last = off + shape.reduce((a, d, i) => a + (d - 1) * strides[i], 0);
  if (empty ? off > storage.numel : last >= storage.numel) {
    throw new CheckpointFormatError(file, `a tensor of shape [${shape}] at offset ${off} reads past its storage of ${storage.numel} elements`);
  }
  return { kind: 'tensor', storage, offset: off, shape, stride: strides };
}

/** The globals a state dict needs, and what applying each builds. Nothing else is ever resolved. */
const ALLOWED: Readonly<Record<string, Builder | null>> = {
  'collections.OrderedDict': (args, file) => {
    if (args.length) throw new CheckpointFormatError(file, 'OrderedDict built with arguments');
    return new Map();
  },
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_parameter': (args, file) => {
    const t = args[0];
    if (!t || typeof t !== 'object' || !('kind' in t) || t.kind !== 'tensor') throw new CheckpointFormatError(file, '_rebuild_parameter without a tensor');
    return t;
  },
  // Storage classes only appear inside persistent ids; applying one is not something torch.save writes.
  ...Object.fromEntries(Object.keys(STORAGE_TYPES).map((k) => [`torch.${k}`, null])),
};

function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'None';
  if (v instanceof Map) return 'a dict';
  if (v instanceof PyTuple) return 'a tuple';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyGlobal) return v.name;
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return `a ${v.kind}`;
  return JSON.stringify(typeof v === 'bigint' ? String(v) : v);
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/** Unpickle `bytes` (data.pkl). `file` names it in errors. */
export function unpickle(bytes: Uint8Array, file: string): PyValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  const dec = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  const fail = (detail: string): never => {
    throw new CheckpointFormatError(file, `pickle byte ${p}: ${detail}`);
  };
  const need = (n: number) => {
    if (!(n >= 0) || p + n > bytes.length) fail(`${n} bytes wanted, ${bytes.length - p} left`);
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const i32 = () => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(bytes.length)) fail(`a length of ${v} bytes, longer than the pickle`);
    return Number(v);
  };
  const take = (n: number) => (need(n), bytes.subarray(p, (p += n)));
  const text = (n: number) => {
    try {
      return dec.decode(take(n));
    } catch {
      return fail('a string that is not UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail('an unterminated line');
    const s = text(end - p);
    p++;
    return s;
  };
  const pop = (): PyValue => {
    if (!stack.length) fail('stack underflow');
    const v = stack.pop()!;
    if (v === MARK) fail('a mark where a value was expected');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('no value on the stack');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no mark on the stack');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const global = (module: string, name: string): PyValue => {
    const full = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(ALLOWED, full)) throw new UnsafeCheckpointError(file, full);
    return new PyGlobal(full);
  };
  const long = (raw: Uint8Array): number | bigint => {
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (raw.length && raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (d: PyValue, kv: PyValue[]) => {
    if (!(d instanceof Map)) fail(`SETITEM on ${describe(d)}`);
    if (kv.length % 2) fail('an odd number of SETITEMS values');
    for (let i = 0; i < kv.length; i += 2) (d as Map<PyValue, PyValue>).set(kv[i], kv[i + 1]);
  };
  const persistent = (pid: PyValue): StorageRef => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t.length < 5 || t[0] !== 'storage') return fail(`persistent id ${describe(pid)} is not a ('storage', type, key, location, numel) tuple`);
    const [, type, key, , numel] = t;
    const dtype = type instanceof PyGlobal ? STORAGE_TYPES[type.name.replace(/^torch\./, '')] : undefined;
    if (!dtype) return fail(`storage type ${describe(type)} is not a torch storage class`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key)) return fail(`storage key ${describe(key)}`);
    return { kind: 'storage', dtype, key, numel: int(numel, 'storage numel', file) };
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('a pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`${stack.length} values on the stack at STOP`);
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        stack.length ? stack.pop() : fail('POP on an empty stack');
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        stack.push(op === 0x88);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0 || n > 64) fail(`a ${n}-byte integer`);
        stack.push(long(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x8f: // EMPTY_SET: read as a list of its items
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        if (stack.length < n) fail('stack underflow');
        const items: PyValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push(new PyTuple(items));
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map<PyValue, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail(`APPEND to ${describe(l)}`);
        (l as PyValue[]).push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail(`APPENDS to ${describe(l)}`);
        for (const v of items) (l as PyValue[]).push(v);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo ${i} was never stored`);
        stack.push(memo.get(i)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) fail(`REDUCE on ${describe(fn)}`);
        if (!(args instanceof PyTuple)) fail(`REDUCE with ${describe(args)} as arguments`);
        const build = ALLOWED[(fn as PyGlobal).name];
        if (!build) fail(`${(fn as PyGlobal).name} cannot be applied`);
        stack.push(build!((args as PyTuple).items.slice(), file));
        break;
      }
      case 0x62: {
        // BUILD: the state of an OrderedDict (its _metadata) or of a tensor; kept out of the values
        pop();
        const obj = top();
        if (!(obj instanceof Map) && !(obj && typeof obj === 'object' && 'kind' in obj)) fail(`BUILD on ${describe(obj)}`);
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not one a PyTorch state dict uses`);
    }
  }
}
