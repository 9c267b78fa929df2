// The Node CLI (bin/nextscale.mjs): usage and errors, and, with the bundled model, the PyTorch
// goldens reproduced through Dawn (SwiftShader without a GPU): codes, final image and previews.
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithGolden, DEFAULT_MODEL_DIR, GOLDEN_DIR, goldenCases, MODEL_DIR, REPO, requireModel } from './goldens';
import { decodePng } from '../src/cli/png';
import { IMAGE_MAX_DIFF, imageDiff } from './goldens/compare';
import { compareGreedy, readInfinityGolden, type InfinityGoldenIndex } from './goldens/infinity-compare';
import { parseSafetensors, tensorToF32 } from '../src/formats/safetensors';
import { textFeaturesFromSafetensors } from '../src/formats/text-features';

const BIN = join(REPO, 'bin', 'nextscale.mjs');

function cli(args: string[], timeout = 280_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test.describe.configure({ mode: 'serial' });

test('cli: --help, usage errors, a missing model folder', async () => {
  const help = await cli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('nextscale generate --prompt');
  expect(help.stdout).toContain('--previews <dir>');
  const noOut = await cli(['generate', '--prompt', 'x']);
  expect(noOut.code).toBe(1);
  expect(noOut.stderr).toContain('--out <file.png> is required');
  const badNum = await cli(['generate', '--prompt', 'x', '--out', 'x.png', '--top-p', '2']);
  expect(badNum.code).toBe(1);
  expect(badNum.stderr).toContain('--top-p must be a number in [0, 1]');
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-'));
  const missing = await cli(['generate', '--model', dir, '--prompt', 'x', '--out', join(dir, 'x.png')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  expect(missing.stderr).toContain('has no manifest.json');
  rmSync(dir, { recursive: true });
});

// Both backends reproduce the goldens, so --device wasm and --device webgpu give the same codes.
for (const device of ['wasm', 'webgpu'] as const) {
test(`cli: reproduces the golden codes, image and previews (--device ${device})`, async () => {
  test.setTimeout(600_000);
  requireModel();
  const cases = goldenCases();
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-'));
  for (const c of [cases[0], cases.find((x) => x.seed !== cases[0].seed) ?? cases[0]].filter((x, i, a) => a.indexOf(x) === i)) {
    const out = join(dir, `${c.name}.png`);
    const tokens = join(dir, `${c.name}.json`);
    const previews = join(dir, `${c.name}-previews`);
    const s = c.sampling;
    const args = ['generate', '--prompt', c.prompt, '--seed', String(c.seed), '--cfg', String(s.cfg), '--top-k', String(s.top_k), '--top-p', String(s.top_p)];
    args.push('--temperature', String(s.temperature), '--out', out, '--tokens', tokens, '--previews', previews, '--device', device);
    if (MODEL_DIR !== DEFAULT_MODEL_DIR) args.push('--model', MODEL_DIR); // without --model: the bundled one
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(tokens, 'utf8')), `codes of ${c.name}`).toEqual({ scales: c.scales });
    const img = decodePng(readFileSync(out));
    const diff = compareWithGolden(c, img.width, img.height, img.data);
    expect(diff.mean, `mean |Δ| vs ${c.pngPath}`).toBeLessThan(2);
    for (let i = 0; i < c.scales.length; i++) expect(existsSync(join(previews, `scale-${i}.png`)), `scale-${i}.png`).toBe(true);
    expect(existsSync(join(previews, `scale-${c.scales.length}.png`))).toBe(false);
    expect(r.stderr).toMatch(new RegExp(`scale ${c.scales.length}/${c.scales.length}`));
    expect(r.stderr).toContain(`device: ${device}`);
  }
  rmSync(dir, { recursive: true });
});
}

test('cli: caption prints the golden reply to "what is in this image ?" and refuses a non-image', async () => {
  test.setTimeout(300_000);
  requireModel();
  const g = JSON.parse(readFileSync(join(GOLDEN_DIR, 'chat_caption.json'), 'utf8')) as { text: string; options: { seed: number } };
  const args = ['caption', '--image', join(GOLDEN_DIR, 'caption_input.png'), '--seed', String(g.options.seed)];
  if (MODEL_DIR !== DEFAULT_MODEL_DIR) args.push('--model', MODEL_DIR);
  const r = await cli(args);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(g.text);
  const bad = await cli(['caption', '--image', join(REPO, 'README.md')]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('Cannot read');
  const usage = await cli(['caption']);
  expect(usage.code).toBe(1);
  expect(usage.stderr).toContain('--image <file.png> is required');
});

test('cli: a converted VAR (random-init depth 2 through tools/convert_var.py) reproduces the reference with --class, greedy', async () => {
  test.setTimeout(300_000);
  const varDir = join(REPO, 'e2e', 'goldens', 'var-tiny');
  const index = JSON.parse(readFileSync(join(varDir, 'index.json'), 'utf8')) as { model: string; cases: Array<{ name: string; json: string; png: string }> };
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-var-'));
  for (const c of index.cases) {
    const g = JSON.parse(readFileSync(join(varDir, c.json), 'utf8')) as { class: number; cfg: number; top_k: number; top_p: number; seed: number; scales: number[][] };
    const out = join(dir, `${c.name}.png`);
    const tokens = join(dir, `${c.name}.json`);
    const args = ['generate', '--model', join(varDir, index.model), '--class', String(g.class), '--seed', String(g.seed), '--cfg', String(g.cfg)];
    args.push('--top-k', String(g.top_k), '--top-p', String(g.top_p), '--out', out, '--tokens', tokens);
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(tokens, 'utf8')), `codes of ${c.name}`).toEqual({ scales: g.scales });
    const d = imageDiff(decodePng(readFileSync(out)).data, decodePng(readFileSync(join(varDir, c.png))).data);
    expect(d.max, `max |Δ| vs ${c.png}`).toBeLessThanOrEqual(IMAGE_MAX_DIFF);
  }
  const prompt = await cli(['generate', '--model', join(varDir, index.model), '--prompt', 'a cat', '--out', join(dir, 'x.png')]);
  expect(prompt.code).toBe(1);
  expect(prompt.stderr).toContain('classLabel');
  rmSync(dir, { recursive: true });
});

test('cli: Infinity from the official .pth files with --text-features: greedy bits equal the reference, --tokens packs bits, the 1:2 schedule, bad features refused', async () => {
  test.setTimeout(300_000);
  const dir0 = join(REPO, 'e2e', 'goldens', 'infinity-tiny');
  const index = JSON.parse(readFileSync(join(dir0, 'index.json'), 'utf8')) as InfinityGoldenIndex;
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-infinity-'));
  const base = ['generate', '--model', join(dir0, index.model), '--vae', join(dir0, index.vae), '--text-features', join(dir0, index.features), '--seed', '0', '--top-k', '1'];
  for (const c of [index.cases[0], index.cases.find((x) => x.h_div_w !== 1)!]) {
    const tokens = join(dir, `${c.name}.json`);
    const out = join(dir, `${c.name}.png`);
    const [h, w] = c.scales[c.scales.length - 1];
    const aspect = `${w}:${h}`; // width:height of the last grid: the same template
    const r = await cli([...base, '--cfg', String(c.cfg), '--tau', String(c.tau), '--aspect', aspect, '--tokens', tokens, '--out', out, '--device', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const g = readInfinityGolden(c, new Uint8Array(readFileSync(join(dir0, c.tensors))), 32);
    const got = JSON.parse(readFileSync(tokens, 'utf8')) as { scales: number[][] };
    const cmp = compareGreedy(g, got.scales, 32);
    expect(cmp.problems, `greedy bits of ${c.name}`).toEqual([]);
    expect(cmp.comparedScales).toBeGreaterThanOrEqual(c.scales.length - 1);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([w * 16, h * 16]);
  }
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, readFileSync(join(REPO, 'e2e', 'goldens', 'infinity-tiny', 'greedy_cfg1.safetensors'))); // no "features" tensor
  const r = await cli([...base.slice(0, 5), '--text-features', bad, '--out', join(dir, 'x.png'), '--device', 'wasm']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('E_INVALID_OPTION');
  expect(r.stderr).toContain('features');
  rmSync(dir, { recursive: true });
});

test('cli: encode-text runs a T5 encoder folder as the hub has it (decoder never read) and its features feed Infinity, whose width it checks', async () => {
  test.setTimeout(120_000);
  const t5 = join(REPO, 'e2e', 'goldens', 't5-tiny');
  const gold = new Uint8Array(readFileSync(join(t5, 'goldens.safetensors')));
  const h = parseSafetensors('goldens', gold);
  const ids = Array.from(new BigInt64Array(gold.slice(h.tensors.get('ids_40')!.begin, h.tensors.get('ids_40')!.begin + h.tensors.get('ids_40')!.bytes).buffer), Number);
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-t5-'));
  const out = join(dir, 'f.safetensors');
  const r = await cli(['encode-text', '--model', t5, '--ids', ids.join(','), '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  const f = textFeaturesFromSafetensors(new Uint8Array(readFileSync(out)));
  expect(f.shape).toEqual([40, 64]);
  const wantInfo = h.tensors.get('hidden_40')!;
  const want = tensorToF32(gold.subarray(wantInfo.begin, wantInfo.begin + wantInfo.bytes), { ...wantInfo, begin: 0 });
  expect(Math.max(...f.data.map((x, i) => Math.abs(x - want[i])))).toBeLessThanOrEqual(1e-4);
  // Only the encoder's bytes are read: the decoder tensors and the LM head stay on disk.
  const model = new Uint8Array(readFileSync(join(t5, 'model.safetensors')));
  const mh = parseSafetensors('model', model);
  const decoderBytes = [...mh.tensors.values()].filter((t) => !t.name.startsWith('encoder.') && t.name !== 'shared.weight').reduce((a, t) => a + t.bytes, 0);
  const read = Number(/(\d+) bytes read/.exec(r.stderr)?.[1]);
  expect(read).toBeLessThanOrEqual(model.length - decoderBytes);
  expect(decoderBytes).toBeGreaterThan(0);
  // The tiny encoder's width (64) is not the tiny Infinity's text width (256): a typed error names both.
  const inf = join(REPO, 'e2e', 'goldens', 'infinity-tiny');
  const g = await cli(['generate', '--model', join(inf, 'infinity_d2.pth'), '--vae', join(inf, 'vae_d32_ch32.pth'), '--text-features', out, '--out', join(dir, 'x.png'), '--device', 'wasm']);
  expect(g.code).toBe(1);
  expect(g.stderr).toContain('E_INVALID_OPTION');
  expect(g.stderr).toContain('text width is 256');
  const noIds = await cli(['encode-text', '--model', t5, '--prompt', 'a fox', '--out', out]);
  expect(noIds.code).toBe(1);
  expect(noIds.stderr).toContain('--ids');
  rmSync(dir, { recursive: true });
});

test('cli: chat runs a conversation in order and writes the transcript and images; bad attachments and usage are refused', async () => {
  test.setTimeout(600_000);
  requireModel();
  const caption = JSON.parse(readFileSync(join(GOLDEN_DIR, 'chat_caption.json'), 'utf8')) as { text: string; options: { seed: number } };
  const draw = JSON.parse(readFileSync(join(GOLDEN_DIR, 'chat_draw.json'), 'utf8')) as { text: string; images: number[][][]; options: { seed: number }; messages: Array<{ parts: Array<{ text?: string }> }> };
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-cli-chat-'));
  const model = MODEL_DIR !== DEFAULT_MODEL_DIR ? ['--model', MODEL_DIR] : [];
  try {
    // Turn 1 is the caption golden (an attached image and its question, seed s); turn 2 asks for a drawing.
    const question = 'what is in this image ?';
    const drawText = draw.messages[0].parts.find((p) => p.text)!.text!;
    // Then a conversation over three contexts long: older turns are left out, each drop a line on stderr.
    const more = ['now make it blue', 'what do you see ?', drawText, 'now make it green', 'describe it', 'draw a large blue triangle at the bottom on a white background', 'now make it red', 'draw a small green circle in the center on a black background', 'draw a large red square at the top right on a yellow background', 'draw a small blue circle at the bottom left on a white background'];
    // A 512-token window of the model's context (--context) makes twelve messages three contexts long.
    const r = await cli(['chat', ...model, '--out', dir, '--context', '512', '--seed', String(caption.options.seed), '--attach', `1:${join(GOLDEN_DIR, 'caption_input.png')}`, question, drawText, ...more]);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(readFileSync(join(dir, 'transcript.json'), 'utf8')) as { turns: Array<{ user: string; reply: { text: string; images: string[] }; context: { tokens: number; length: number }; dropped?: { turns: number[] } }> };
    expect(t.turns.map((x) => x.user)).toEqual([question, drawText, ...more]);
    const drops = t.turns.filter((x) => x.dropped).length;
    expect(drops, 'turns left out of the context').toBeGreaterThan(0);
    const last = t.turns[t.turns.length - 1] as { context: { tokens: number; length: number }; dropped?: { tokensBefore: number; tokensAfter: number } };
    const whole = last.dropped ? last.dropped.tokensBefore + (last.context.tokens - last.dropped.tokensAfter) : last.context.tokens;
    expect(whole, 'the conversation is three contexts long').toBeGreaterThanOrEqual(3 * last.context.length);
    expect(r.stderr.match(/Left out the/g)?.length).toBe(drops);
    expect(t.turns[0].reply.text).toBe(caption.text);
    expect(t.turns[0].reply.images).toEqual([]);
    for (const x of t.turns) expect(x.context.tokens).toBeLessThanOrEqual(x.context.length);
    expect(last.context.length, 'the window --context asked for').toBe(512);
    for (const name of t.turns.flatMap((x) => x.reply.images)) {
      expect(name).toMatch(/^turn-\d+-image-\d+\.png$/);
      const png = decodePng(readFileSync(join(dir, name)));
      expect(png.width).toBeGreaterThan(0);
    }
    const bad = await cli(['chat', '--out', dir, '--attach', `1:${join(REPO, 'README.md')}`, 'hi']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Cannot read');
    const badTurn = await cli(['chat', '--out', dir, '--attach', `3:${join(GOLDEN_DIR, 'caption_input.png')}`, 'hi']);
    expect(badTurn.code).toBe(1);
    expect(badTurn.stderr).toContain('--attach takes <turn>:<file> with turn in 1..1');
    const noOut = await cli(['chat', 'hi']);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toContain('--out <dir> is required');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
