// The CLI against corrupt model folders, as a bad exporter or a hostile publisher would make them: every
// corruption of the reliability issue, with manifest.json hashes that match (or the manifest itself
// corrupt). Each run must exit with a code in 1..127 and one line "nextscale: E_CODE: message" naming
// the expected code; the in-process CLI entry (src/cli/main.ts) is the same code bin/nextscale.mjs runs.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';

const modelDir = process.argv[2] ?? 'models/nextscale-tiny';
type Header = Record<string, { dtype: string; shape: number[]; data_offsets: unknown[] } | Record<string, string>>;
type Json = Record<string, any>;

function readTensors(path: string): { header: Header; data: Uint8Array } {
  const all = readFileSync(path);
  const hlen = Number(all.readBigUInt64LE(0));
  return { header: JSON.parse(all.subarray(8, 8 + hlen).toString('utf8')), data: all.subarray(8 + hlen) };
}

function writeTensors(path: string, header: unknown, data: Uint8Array): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}

function writeManifest(dir: string, edit?: (m: Json) => void): void {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Json;
  for (const f of m.files) {
    const b = readFileSync(join(dir, f.path));
    f.size = b.length;
    f.sha256 = createHash('sha256').update(b).digest('hex');
  }
  edit?.(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

const W = 'model.safetensors';
const header = (edit: (h: Header, data: Uint8Array) => unknown) => (dir: string) => {
  const { header: h, data } = readTensors(join(dir, W));
  const out = edit(h, data);
  writeTensors(join(dir, W), out ?? h, data);
  writeManifest(dir);
};
const config = (edit: (c: Json) => void) => (dir: string) => {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Json;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  writeManifest(dir);
};
const t = (h: Header, name: string) => h[name] as { dtype: string; shape: number[]; data_offsets: unknown[] };

const cases: Array<[string, string, (dir: string) => void]> = [
  ['negative data_offsets (header bytes read as weights)', 'E_WEIGHTS_FORMAT', header((h) => { const x = t(h, 'lm.head.weight'); const [a, b] = x.data_offsets as number[]; x.data_offsets = [a - b - 16, -16]; })],
  ['fractional data_offsets', 'E_WEIGHTS_FORMAT', header((h) => { const x = t(h, 'lm.head.weight'); x.data_offsets = (x.data_offsets as number[]).map((v) => v + 0.5); })],
  ['string data_offsets', 'E_WEIGHTS_FORMAT', header((h) => { const x = t(h, 'lm.head.weight'); x.data_offsets = (x.data_offsets as number[]).map(String); })],
  ['the head reads the embedding (overlapping offsets)', 'E_WEIGHTS_FORMAT', header((h) => { t(h, 'lm.head.weight').data_offsets = t(h, 'lm.embed_tokens.weight').data_offsets; })],
  ['F16 relabelled as BF16', 'E_WEIGHTS_FORMAT', header((h) => { t(h, 'lm.head.weight').dtype = 'BF16'; })],
  ['an unused tensor overlapping the others', 'E_WEIGHTS_FORMAT', header((h) => { h['lm.planted'] = { dtype: 'F16', shape: [8], data_offsets: [0, 16] }; })],
  ['a null safetensors header', 'E_WEIGHTS_FORMAT', header(() => 'null')],
  ['a weight that is NaN', 'E_WEIGHTS_FORMAT', header((h, data) => { const [a] = t(h, 'lm.head.weight').data_offsets as number[]; data[a] = 0x00; data[a + 1] = 0x7e; })],
  ['architecture.layers 2 while the weights hold 4', 'E_MODEL_CONFIG', config((c) => { c.architecture.layers = 2; })],
  ['a special-token id of 10^9', 'E_MODEL_CONFIG', config((c) => { c.vocab.specials['<eos>'] = 1e9; })],
  ['vocab.text_range past the vocabulary', 'E_MODEL_CONFIG', config((c) => { c.vocab.text_range[1] = c.vocab.size + 5; })],
  ['max_context 10^9', 'E_MODEL_CONFIG', config((c) => { c.max_context = 1e9; })],
  ['max_context -5', 'E_MODEL_CONFIG', config((c) => { c.max_context = -5; })],
  ['max_text_tokens 10^9', 'E_MODEL_CONFIG', config((c) => { c.max_text_tokens = 1e9; })],
  ['sampling.top_k "ten"', 'E_MODEL_CONFIG', config((c) => { c.sampling.top_k = 'ten'; })],
  ['a manifest listing a file of 2^53 - 1 bytes', 'E_MANIFEST', (dir) => writeManifest(dir, (m) => { m.files[0].size = 2 ** 53 - 1; })],
  ['a file shorter than its manifest', 'E_TRUNCATED_FILE', (dir) => { writeManifest(dir); const b = readFileSync(join(dir, W)); writeFileSync(join(dir, W), b.subarray(0, b.length - 1000)); }],
  ['a file that does not match its hash', 'E_INTEGRITY', (dir) => { writeManifest(dir); const b = readFileSync(join(dir, W)); b[b.length - 1] ^= 1; writeFileSync(join(dir, W), b); }],
];

let passed = 0;
let failed = 0;
const realWrite = process.stderr.write.bind(process.stderr);
for (const [name, want, corrupt] of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-corrupt-'));
  cpSync(modelDir, dir, { recursive: true });
  corrupt(dir);
  let stderr = '';
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['generate', '--model', dir, '--prompt', 'a small red circle at the top left on a white background', '--seed', '1', '--quiet', '--out', join(dir, 'out.png')]);
  } finally {
    process.stderr.write = realWrite;
  }
  const line = stderr.trim().split('\n')[0];
  const ok = code >= 1 && code <= 127 && line.startsWith(`nextscale: ${want}: `);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: exit ${code}, ${line.slice(0, 160)}`);
  ok ? passed++ : failed++;
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
