// PyTorch checkpoints read in TypeScript: a torch.save state dict (f32, f16, bf16, int64, a strided view,
// shared storages, a Parameter) read back exactly as tools/make_pth_fixtures.py wrote it; a pickle that
// applies os.system refused unread; truncated zips and a seeded fuzz of the pickle (2,000 mutations) and of
// the whole file (500) giving only typed errors, never an untyped one or a tensor outside its storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesAccess, readPth, STORAGE_BYTES } from '../formats/pth';
import { unpickle, type PyValue } from '../formats/pickle';
import { f16BitsToF32 } from '../formats/f16';
import { CheckpointFormatError, UnsafeCheckpointError } from '../api/errors';
import { fuzzSeed, rng } from './fuzz-rng';

const FIX = join(import.meta.dirname, 'fixtures');
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const source = (b: Uint8Array) => bytesAccess(b);

function values(dtype: string, b: Uint8Array): (number | string)[] {
  const buf = b.slice().buffer;
  if (dtype === 'F32') return Array.from(new Float32Array(buf));
  if (dtype === 'F16') return Array.from(new Uint16Array(buf), f16BitsToF32);
  if (dtype === 'BF16') return Array.from(new Uint16Array(buf), (u) => new Float32Array(new Uint32Array([u << 16]).buffer)[0]);
  if (dtype === 'I64') return Array.from(new BigInt64Array(buf), String);
  throw new Error(dtype);
}

test('a torch.save state dict reads back exactly (plain and zip64 archives): dtypes, shapes, strided views, shared storages, parameters', async () => {
  const want = JSON.parse(readFileSync(join(FIX, 'tiny-state.json'), 'utf8')) as Array<{ name: string; dtype: string; shape: number[]; values: (number | string)[] }>;
  // state-with-21-chars-x.pth: torch's zip64 end records are as long as its first directory entry (see pth.ts zip64Patch).
  for (const file of ['tiny-state.pth', 'zip64-state.pth', 'state-with-21-chars-x.pth']) await checkAll(file, want);
});

async function checkAll(file: string, want: Array<{ name: string; dtype: string; shape: number[]; values: (number | string)[] }>) {
  const got = await readPth(source(bytesOf(file)), file);
  assert.deepEqual(got.map((t) => t.name), want.map((w) => w.name));
  const dt: Record<string, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64' };
  for (const [t, w] of got.map((t, i) => [t, want[i]] as const)) {
    assert.equal(t.dtype, dt[w.dtype], t.name);
    assert.deepEqual(t.shape, w.shape, t.name);
    const b = await t.bytes();
    assert.equal(b.length, w.shape.reduce((a, x) => a * x, 1) * STORAGE_BYTES[t.dtype], t.name);
    const v = values(t.dtype, b);
    if (t.dtype === 'I64') assert.deepEqual(v, w.values, t.name);
    else v.forEach((x, i) => assert.ok(Math.abs((x as number) - (w.values[i] as number)) <= 1e-6 * Math.max(1, Math.abs(w.values[i] as number)), `${t.name}[${i}]`));
  }
}

test('a pickle that applies os.system is refused unread, with the global named', async () => {
  await assert.rejects(readPth(source(bytesOf('os-system.pth')), 'os-system.pth'), (e: unknown) => {
    assert.ok(e instanceof UnsafeCheckpointError, String(e));
    assert.equal(e.code, 'E_UNSAFE_CHECKPOINT');
    assert.match(e.message, /"(posix|os)\.system"/);
    return true;
  });
  // The same through STACK_GLOBAL (protocol 4), and builtins.eval.
  const enc = new TextEncoder();
  const p4 = new Uint8Array([0x80, 4, 0x8c, 8, ...enc.encode('builtins'), 0x8c, 4, ...enc.encode('eval'), 0x93, 0x8c, 1, 0x31, 0x85, 0x52, 0x2e]);
  assert.throws(() => unpickle(p4, 'x.pkl'), (e: unknown) => e instanceof UnsafeCheckpointError && /builtins\.eval/.test((e as Error).message));
});

test('a truncated or cut zip is a CheckpointFormatError', async () => {
  const whole = bytesOf('tiny-state.pth');
  for (const n of [0, 10, 100, whole.length >> 1, whole.length - 30, whole.length - 1]) {
    await assert.rejects(
      (async () => {
        for (const t of await readPth(source(whole.subarray(0, n)), 'cut.pth')) await t.bytes();
      })(),
      (e: unknown) => e instanceof CheckpointFormatError,
      `cut at ${n}`,
    );
  }
});

async function pklOf(file: Uint8Array): Promise<Uint8Array> {
  const { ZipReader, Uint8ArrayWriter, Uint8ArrayReader } = await import('@zip.js/zip.js');
  const entries = await new ZipReader(new Uint8ArrayReader(file)).getEntries();
  const pkl = entries.find((e) => e.filename.endsWith('/data.pkl')) as unknown as { getData(w: InstanceType<typeof Uint8ArrayWriter>): Promise<Uint8Array> };
  return pkl.getData(new Uint8ArrayWriter());
}

function checkValue(v: PyValue, depth = 0): void {
  if (depth > 1000) throw new Error('too deep');
  if (v instanceof Map) for (const [k, x] of v) (checkValue(k, depth + 1), checkValue(x, depth + 1));
  else if (Array.isArray(v)) v.forEach((x) => checkValue(x, depth + 1));
  else if (v && typeof v === 'object' && 'kind' in v && v.kind === 'tensor') {
    const last = v.offset + v.shape.reduce((a, d, i) => a + (d - 1) * v.stride[i], 0);
    if (!v.shape.includes(0)) assert.ok(last < v.storage.numel, 'a tensor inside its storage');
  }
}

test('unpickler fuzz: 2,000 mutated pickles give a value or a typed error, never an untyped one', async () => {
  const seed = fuzzSeed();
  const r = rng(seed);
  const pkl = await pklOf(bytesOf('tiny-state.pth'));
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const m = pkl.slice();
    const kind = Math.floor(r() * 4);
    const at = Math.floor(r() * m.length);
    if (kind === 0) m[at] = Math.floor(r() * 256);
    else if (kind === 1) for (let k = 0; k < 4; k++) m[Math.floor(r() * m.length)] ^= 1 << Math.floor(r() * 8);
    else if (kind === 2) m.copyWithin(at, Math.floor(r() * m.length), Math.floor(r() * m.length));
    const bytes = kind === 3 ? m.subarray(0, at) : m;
    try {
      checkValue(unpickle(bytes, 'fuzz.pkl'));
    } catch (e) {
      if (e instanceof CheckpointFormatError || e instanceof UnsafeCheckpointError) {
        refused++;
        continue;
      }
      assert.fail(`seed ${seed}, mutation ${i} (kind ${kind} at ${at}): ${(e as Error).stack}`);
    }
  }
  assert.ok(refused > 500, `only ${refused} of 2000 mutations refused`);
});

test('checkpoint fuzz: 500 mutated .pth files give tensors of the right size or a typed error', async () => {
  const seed = fuzzSeed();
  const r = rng(seed ^ 0x5bd1e995);
  const whole = bytesOf('tiny-state.pth');
  for (let i = 0; i < 500; i++) {
    const m = whole.slice();
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
    try {
      for (const t of await readPth(source(m), 'fuzz.pth')) {
        const b = await t.bytes();
        assert.equal(b.length, t.shape.reduce((a, x) => a * x, 1) * STORAGE_BYTES[t.dtype]);
      }
    } catch (e) {
      if (e instanceof CheckpointFormatError || e instanceof UnsafeCheckpointError) continue;
      assert.fail(`seed ${seed}, mutation ${i}: ${(e as Error).stack}`);
    }
  }
});
