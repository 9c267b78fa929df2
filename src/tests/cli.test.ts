// Unit tests (node:test through tsx) for the CLI: argument parsing and the file: fetch the store reads local models with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCli } from '../cli/args';
import { UsageError } from '../api/errors';
import { createFileFetch } from '../cli/file-fetch';
import { loadModelFiles, sha256Hex } from '../store';
import { ModelNotFoundError, IntegrityError } from '../api/errors';

test('parseCli: generate with every option, help, and usage errors', () => {
  const a = parseCli(['generate', '--prompt', 'red apple', '--seed', '7', '--cfg', '3', '--top-k', '10', '--top-p', '0.8', '--out', 'a.png', '--tokens', 't.json', '--previews', 'p']);
  assert.deepEqual(a, {
    command: 'generate', model: undefined, prompt: 'red apple', classLabel: undefined, seed: 7, cfg: 3, topK: 10, topP: 0.8, temperature: undefined, out: 'a.png', tokens: 't.json', previews: 'p',
    vae: undefined, textFeatures: undefined, resolution: undefined, aspect: undefined, dtype: undefined, patchNums: undefined, device: 'auto', quiet: false,
  });
  // Infinity: text features instead of a prompt, its resolution class and aspect, τ, the conversion's dtype.
  const inf = parseCli(['generate', '--model', 'infinity_125M_256x256.pth', '--text-features', 'f.safetensors', '--resolution', '512', '--aspect', '16:9', '--tau', '0.7', '--dtype', 'f32', '--out', 'x.png']) as unknown as Record<string, unknown>;
  assert.deepEqual([inf.textFeatures, inf.resolution, inf.aspect, inf.temperature, inf.dtype, inf.prompt], ['f.safetensors', 512, '16:9', 0.7, 'f32', undefined]);
  assert.equal((parseCli(['generate', '--prompt', 'x', '--out', 'a.png', '--device', 'wasm']) as { device: string }).device, 'wasm');
  assert.equal((parseCli(['caption', '--image', 'x.png', '--device', 'webgpu']) as { device: string }).device, 'webgpu');
  assert.throws(() => parseCli(['generate', '--prompt', 'x', '--out', 'a.png', '--device', 'cpu']), /--device must be one of auto, webgpu, wasm; got "cpu"/);
  const pth = parseCli(['generate', '--model', 'var_d2.pth', '--vae', 'v.pth', '--patch-nums', '1,2,3,4', '--class', '1', '--out', 'x.png']) as { vae: string; patchNums: number[] };
  assert.deepEqual([pth.vae, pth.patchNums], ['v.pth', [1, 2, 3, 4]]);
  assert.deepEqual(parseCli(['convert', '--var', 'a.pth', '--vae', 'b.pth', '--out', 'o', '--dtype', 'int8']), { command: 'convert', var: 'a.pth', vae: 'b.pth', out: 'o', dtype: 'int8', name: undefined, patchNums: undefined, quiet: false });
  assert.equal((parseCli(['generate', '--class', '207', '--out', 'x.png']) as { classLabel: number }).classLabel, 207);
  assert.deepEqual(parseCli(['encode-text', '--model', 't5', '--ids', '3, 9,1', '--out', 'f.safetensors']), { command: 'encode-text', model: 't5', ids: [3, 9, 1], prompt: undefined, out: 'f.safetensors', quiet: false });
  assert.deepEqual(parseCli(['--help']), { command: 'help' });
  assert.deepEqual(parseCli([]), { command: 'help' });
  const bad: [string[], RegExp][] = [
    [['generate', '--prompt', 'x'], /--out/],
    [['generate', '--out', 'x.png'], /--prompt/],
    [['generate', '--prompt', 'x', '--class', '1', '--out', 'x.png'], /not --prompt and --class/],
    [['generate', '--prompt', 'x', '--out', 'x.png', '--seed', '1.5'], /--seed must be an integer/],
    [['generate', '--prompt', 'x', '--out', 'x.png', '--seed', '4294967296'], /--seed/],
    [['generate', '--class', '1000', '--out', 'x.png'], /--class/],
    [['generate', '--prompt', 'x', '--out', 'x.png', '--top-p', 'abc'], /--top-p/],
    [['generate', '--prompt', 'x', '--out', 'x.png', '--bogus'], /bogus/],
    [['draw', '--out', 'x.png'], /unknown command "draw"/],
    [['generate', 'red', 'apple', '--out', 'x.png'], /unexpected argument/],
    [['convert', '--var', 'a.pth', '--out', 'o'], /--vae is required/],
    [['convert', '--var', 'a.pth', '--vae', 'b.pth', '--out', 'o', '--dtype', 'bf16'], /--dtype must be f16 or int8/],
    [['generate', '--class', '1', '--out', 'x.png', '--patch-nums', '1,x'], /--patch-nums/],
    [['generate', '--prompt', 'x', '--text-features', 'f.safetensors', '--out', 'x.png'], /not --prompt and --text-features/],
    [['generate', '--text-features', 'f.safetensors', '--tau', '0.5', '--temperature', '1', '--out', 'x.png'], /--tau or --temperature/],
    [['generate', '--text-features', 'f.safetensors', '--dtype', 'bf16', '--out', 'x.png'], /--dtype must be f16, int8 or f32/],
    [['encode-text', '--model', 't5', '--out', 'f.safetensors'], /one of --ids and --prompt/],
    [['encode-text', '--model', 't5', '--ids', '1,x', '--out', 'f.safetensors'], /--ids must be an integer/],
    [['encode-text', '--ids', '1', '--out', 'f.safetensors'], /--model is required/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseCli(argv), (e) => e instanceof UsageError && re.test((e as Error).message), argv.join(' '));
});

test('file fetch: whole files, ranges, 404; the store loads and verifies a local folder through it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-ff-'));
  try {
    const weights = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
    const config = new TextEncoder().encode('{"family":"nextflow"}');
    writeFileSync(join(dir, 'w.bin'), weights);
    writeFileSync(join(dir, 'config.json'), config);
    const files = [
      { path: 'config.json', size: config.length, sha256: sha256Hex(config) },
      { path: 'w.bin', size: weights.length, sha256: sha256Hex(weights) },
    ];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'nextscale-manifest', version: 1, model: 't', files }));
    const f = createFileFetch();
    const base = pathToFileURL(dir).href + '/';
    const whole = await f(base + 'w.bin');
    assert.equal(whole.status, 200);
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), weights);
    const part = await f(base + 'w.bin', { headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 10-19/5000');
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), weights.subarray(10, 20));
    assert.equal((await f(base + 'nope.bin')).status, 404);

    const m = await loadModelFiles(base, { fetch: f, storage: null });
    assert.deepEqual(m.config, { family: 'nextflow' });
    assert.deepEqual(m.files.get('w.bin')!.bytes(), weights);
    await assert.rejects(loadModelFiles(pathToFileURL(join(dir, 'missing')).href, { fetch: f, storage: null }), ModelNotFoundError);
    writeFileSync(join(dir, 'w.bin'), weights.map((b) => b ^ 1));
    await assert.rejects(loadModelFiles(base, { fetch: f, storage: null }), IntegrityError);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
