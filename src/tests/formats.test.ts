// Unit tests (node:test through tsx) for the file formats: safetensors and tokenizer.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSafetensors, tensorToF32 } from '../formats/safetensors';
import { loadTextTokenizer } from '../tokenizer/text-tokenizer';
import { TokenizerFormatError, WeightsFormatError } from '../api/errors';

function makeSafetensors(tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }>): Uint8Array {
  let off = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  let p = 8 + h.byteLength;
  for (const t of Object.values(tensors)) {
    out.set(t.data, p);
    p += t.data.byteLength;
  }
  return out;
}

test('safetensors: parse f32 and f16 tensors', () => {
  const f32 = new Float32Array([1, -2.5, 3]);
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, -2, ~0.3333
  const file = makeSafetensors({
    a: { dtype: 'F32', shape: [3], data: new Uint8Array(f32.buffer) },
    b: { dtype: 'F16', shape: [1, 3], data: new Uint8Array(f16.buffer) },
  });
  const h = parseSafetensors('t.safetensors', file);
  assert.deepEqual([...tensorToF32(file, h.tensors.get('a')!)], [1, -2.5, 3]);
  const b = tensorToF32(file, h.tensors.get('b')!);
  assert.equal(b[0], 1);
  assert.equal(b[1], -2);
  assert.ok(Math.abs(b[2] - 1 / 3) < 1e-3);
  assert.equal(h.metadata.format, 'pt');
});

test('safetensors: truncated and corrupt files raise WeightsFormatError', () => {
  const file = makeSafetensors({ a: { dtype: 'F32', shape: [4], data: new Uint8Array(16) } });
  assert.throws(() => parseSafetensors('t', file.subarray(0, file.byteLength - 4)), WeightsFormatError);
  const bad = file.slice();
  bad[10] = 0x7b; // break the JSON
  assert.throws(() => parseSafetensors('t', bad), WeightsFormatError);
  assert.throws(() => parseSafetensors('t', new Uint8Array(4)), WeightsFormatError);
});

const tokJson = {
  added_tokens: [
    { id: 0, content: '<pad>', special: true },
    { id: 1, content: '<boi>', special: true },
    { id: 2, content: '<unk>', special: true },
  ],
  normalizer: { type: 'Lowercase' },
  pre_tokenizer: { type: 'WhitespaceSplit' },
  model: { type: 'WordLevel', vocab: { '<pad>': 0, '<boi>': 1, '<unk>': 2, a: 3, red: 4, circle: 5 }, unk_token: '<unk>' },
};

test('tokenizer: word-level encode/decode, lowercase, unknown words', () => {
  const t = loadTextTokenizer(tokJson);
  assert.deepEqual(t.encode('A  red\tCIRCLE'), [3, 4, 5]);
  assert.deepEqual(t.encode('a blue circle'), [3, 2, 5]);
  assert.equal(t.decode([1, 3, 4, 5]), 'a red circle');
  assert.equal(t.specialId('<boi>'), 1);
  assert.equal(t.vocabSize, 6);
});

test('tokenizer: special-token text from the user is not a special token', () => {
  const t = loadTextTokenizer(tokJson);
  assert.deepEqual(t.encode('<boi> red'), [2, 4]);
});

test('tokenizer: unsupported models raise TokenizerFormatError', () => {
  assert.throws(() => loadTextTokenizer({ model: { type: 'Unigram' } }), TokenizerFormatError);
  assert.throws(() => loadTextTokenizer({}), TokenizerFormatError);
});
