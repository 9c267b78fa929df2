// The T5 v1.1 encoder on the CPU backend against its PyTorch reference (tools/t5_golden.py → e2e/goldens/t5-tiny,
// the reference checked against Hugging Face's T5EncoderModel by tools/t5_hf_check.py): the relative-position
// buckets of −300…300 exactly, and last_hidden_state within 1e-4 max abs for inputs of 1, 7, 40 and 140 tokens.
// The folder is as the hub has it: config.json and model.safetensors with decoder tensors the encoder never reads.
// Usage: tsx e2e/node/run-t5-goldens.ts [goldenDir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, tensorToF32 } from '../../src/formats/safetensors';
import { parseT5Config, relativeBucket } from '../../src/models/t5/config';
import { bucketMatrix, buildT5EncoderGraph } from '../../src/backends/wasm/t5/encoder-graph';
import { wasmRuntime } from '../../src/backends/wasm/runtime';

const dir = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'e2e/goldens/t5-tiny';
let passed = 0;
let failed = 0;
const report = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  ok ? passed++ : failed++;
};
const c = parseT5Config(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
const model = new Uint8Array(readFileSync(join(dir, 'model.safetensors')));
const header = parseSafetensors('model.safetensors', model);
const read = new Set<string>();
const weight = (name: string) => {
  const t = header.tensors.get(name);
  if (!t) throw new Error(`missing ${name}`);
  read.add(name);
  return { shape: t.shape, values: tensorToF32(model.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 }) };
};
const gold = new Uint8Array(readFileSync(join(dir, 'goldens.safetensors')));
const gh = parseSafetensors('goldens.safetensors', gold);
const raw = (name: string) => {
  const t = gh.tensors.get(name)!;
  return gold.slice(t.begin, t.begin + t.bytes);
};

const buckets = new BigInt64Array(raw('buckets').buffer);
const wrong = Array.from(buckets).map((b, i) => [i - 300, Number(b), relativeBucket(i - 300, c.buckets, c.maxDistance)]).filter(([, w, g]) => w !== g);
report(!wrong.length, `relative-position buckets of −300…300 equal the reference's${wrong.length ? ` (first difference at ${wrong[0][0]}: ${wrong[0][2]} vs ${wrong[0][1]})` : ''}`);

const rt = await wasmRuntime({});
const session = await rt.session(buildT5EncoderGraph(c, weight), 'the T5 encoder');
const decoder = [...header.tensors.keys()].filter((k) => !k.startsWith('encoder.') && k !== 'shared.weight');
report(decoder.length > 0 && decoder.every((k) => !read.has(k)), `the encoder reads no decoder tensor (${decoder.length} in the file: ${decoder.slice(0, 2).join(', ')}, …)`);
for (const L of [1, 7, 40, 140]) {
  const ids = new BigInt64Array(raw(`ids_${L}`).buffer);
  const t = gh.tensors.get(`hidden_${L}`)!;
  const want = tensorToF32(gold.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 });
  const out = await session.run({ ids: new rt.ort.Tensor('int64', ids, [1, L]), buckets: new rt.ort.Tensor('int64', bucketMatrix(L, (r) => relativeBucket(r, c.buckets, c.maxDistance)), [L, L]) });
  const got = out.hidden.data as Float32Array;
  let e = got.length === want.length ? 0 : Infinity;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]));
  report(e <= 1e-4, `T5 encoder on wasm, ${L} tokens: last_hidden_state max abs ${e.toExponential(1)} (≤ 1e-4)`);
}
await session.release();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
