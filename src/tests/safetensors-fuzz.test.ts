// The safetensors parser refuses every corrupt header with WeightsFormatError, never with another
// error, and what it accepts always holds its invariants. Named corruptions from the reliability
// issue first, then a seeded fuzz of header mutations (SEED=<n> reproduces a run; a failure prints the
// seed and the mutation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSafetensors, DTYPE_BYTES, type SafetensorsDtype } from '../formats/safetensors';
import { WeightsFormatError } from '../api/errors';
import { fuzzSeed, rng } from './fuzz-rng';

type Header = Record<string, unknown>;

function file(header: Header | string, dataBytes: number, rawLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, rawLen ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  return out;
}

const good = (): Header => ({
  __metadata__: { format: 'pt' },
  embed: { dtype: 'F16', shape: [4, 2], data_offsets: [0, 16] },
  head: { dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] },
});

test('safetensors: each corruption of the reliability issue is a WeightsFormatError', () => {
  assert.equal(parseSafetensors('ok', file(good(), 32)).tensors.size, 2);
  const cases: Array<[string, (h: Header) => Header | string, number?]> = [
    ['negative offsets (header read as weights)', (h) => ({ ...h, embed: { dtype: 'F16', shape: [4, 2], data_offsets: [-16, 0] } })],
    ['fractional offsets', (h) => ({ ...h, embed: { dtype: 'F16', shape: [4, 2], data_offsets: [0.5, 16.5] } })],
    ['string offsets', (h) => ({ ...h, embed: { dtype: 'F16', shape: [4, 2], data_offsets: ['0', '16'] } })],
    ['overlapping tensors (the head reads the embedding)', (h) => ({ ...h, head: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } })],
    ['an extra tensor overlapping the others', (h) => ({ ...h, extra: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } })],
    ['a null header', () => 'null'],
    ['an array header', () => '[1, 2]'],
    ['a tensor that is not an object', (h) => ({ ...h, embed: 7 })],
    ['an unknown dtype', (h) => ({ ...h, embed: { dtype: 'F8', shape: [4, 2], data_offsets: [0, 16] } })],
    ['a dtype inherited from Object', (h) => ({ ...h, embed: { dtype: 'toString', shape: [4, 2], data_offsets: [0, 16] } })],
    ['bytes that do not match the shape', (h) => ({ ...h, embed: { dtype: 'F16', shape: [4, 4], data_offsets: [0, 16] } })],
    ['a negative dimension', (h) => ({ ...h, embed: { dtype: 'F16', shape: [-4, -2], data_offsets: [0, 16] } })],
    ['unindexed bytes (a hidden payload)', (h) => h, 40],
    ['a tensor past the end of the file', (h) => h, 24],
    ['unknown tensor fields', (h) => ({ ...h, embed: { dtype: 'F16', shape: [4, 2], data_offsets: [0, 16], extra: 1 } })],
    ['non-string metadata', (h) => ({ ...h, __metadata__: { n: 3 } })],
  ];
  for (const [what, mutate, bytes] of cases) {
    assert.throws(() => parseSafetensors('bad', file(mutate(good()), bytes ?? 32)), (e) => e instanceof WeightsFormatError && e.code === 'E_WEIGHTS_FORMAT', what);
  }
  assert.throws(() => parseSafetensors('bad', file(good(), 32, 2n ** 60n)), WeightsFormatError, 'a huge header length');
});

const VALUES: unknown[] = [0, 1, -1, 2, 8, 16, 31, 32, 33, 1.5, -0.5, 2 ** 53, 1e300, NaN, null, true, 'F16', 'F32', 'BF16', 'I64', '16', [], {}, [0], [0, 16], [16, 0], [4, 2], [2, 2, 2]];

/** One random change to a header: replace, delete or add a field, at any depth. */
function mutate(h: Header, r: () => number): { header: Header; how: string } {
  const copy = structuredClone(h) as Header;
  const names = Object.keys(copy);
  const name = names[Math.floor(r() * names.length)];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const t = copy[name] as Record<string, unknown>;
  const field = pick(['dtype', 'shape', 'data_offsets', 'extra']);
  const kind = r();
  if (kind < 0.15) {
    copy[`${name}_copy`] = structuredClone(t);
    return { header: copy, how: `duplicate ${name}` };
  }
  if (kind < 0.25) {
    delete copy[name];
    return { header: copy, how: `delete ${name}` };
  }
  if (typeof t !== 'object' || t === null) {
    copy[name] = pick(VALUES);
    return { header: copy, how: `${name} = ${JSON.stringify(copy[name])}` };
  }
  if (kind < 0.35) delete t[field];
  else if (kind < 0.6 && Array.isArray(t[field])) {
    const arr = t[field] as unknown[];
    arr[Math.floor(r() * (arr.length + 1))] = pick(VALUES);
  } else t[field] = pick(VALUES);
  return { header: copy, how: `${name}.${field} → ${JSON.stringify(t[field])}` };
}

test('safetensors fuzz: 6,000 header mutations give WeightsFormatError or a header that holds its invariants', () => {
  const seed = fuzzSeed();
  const r = rng(seed);
  let accepted = 0;
  for (let i = 0; i < 6000; i++) {
    let h = good();
    const hows: string[] = [];
    for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
      const x = mutate(h, r);
      h = x.header;
      hows.push(x.how);
    }
    const bytes = [24, 32, 40][Math.floor(r() * 3)];
    const f = file(h, bytes);
    const where = `seed ${seed}, case ${i}: ${hows.join('; ')} (data ${bytes} bytes). Rerun with SEED=${seed}`;
    let parsed;
    try {
      parsed = parseSafetensors('fuzz', f);
    } catch (e) {
      assert.ok(e instanceof WeightsFormatError, `${where}: untyped ${String(e)}`);
      continue;
    }
    accepted++;
    // Invariants of what is accepted: sizes match shapes, every byte is in exactly one tensor.
    const spans = [...parsed.tensors.values()].sort((a, b) => a.begin - b.begin);
    let end = parsed.dataStart;
    for (const t of spans) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      assert.equal(t.bytes, n * DTYPE_BYTES[t.dtype as SafetensorsDtype], `${where}: ${t.name} size`);
      if (t.bytes === 0) continue;
      assert.equal(t.begin, end, `${where}: ${t.name} starts at ${t.begin}, expected ${end}`);
      end = t.begin + t.bytes;
    }
    assert.equal(end, f.byteLength, `${where}: unindexed tail`);
  }
  assert.ok(accepted > 0, 'some mutations keep a valid file (e.g. a renamed tensor)');
});
