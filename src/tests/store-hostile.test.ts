// The store against hostile or broken publishers: a manifest that claims a 2^53-byte file, a server
// that answers with a web page, files shorter than their manifest on a server or on disk, and weights
// that hold NaN. Each is a typed error that names the cause; none is blamed on the network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModelFiles, parseManifest, type StoreStorage } from '../store';
import { MAX_FILE_BYTES } from '../store/manifest';
import { MAX_CHUNKS } from '../store/file-loader';
import { createFileFetch } from '../cli/file-fetch';
import { ManifestError, ModelNotFoundError, NotModelFileError, TruncatedFileError, WeightsFormatError } from '../api/errors';
import { firstNonFinite } from '../formats/safetensors';
import { bytesSource, uploadSafetensors } from '../models/weights';
import type { GpuContext } from '../gpu/device';

const BASE = 'http://models.test/m/';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function manifestOf(files: Array<[string, Uint8Array, number?]>): string {
  return JSON.stringify({ format: 'nextscale-manifest', version: 1, model: 'm', files: files.map(([path, b, size]) => ({ path, size: size ?? b.length, sha256: sha(b) })) });
}

function memoryStorage(): StoreStorage & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: async <T>(k: string) => structuredClone(map.get(k)) as T | undefined,
    setMany: async (entries: [string, unknown][]) => entries.forEach(([k, v]) => map.set(k, structuredClone(v))),
    delMany: async (ks: string[]) => ks.forEach((k) => map.delete(k)),
    keysWithPrefix: async (p: string) => [...map.keys()].filter((k) => k.startsWith(p)).sort(),
  };
}

test('a manifest claiming a 2^53-byte file is refused before anything is allocated', () => {
  for (const size of [2 ** 53 - 1, MAX_FILE_BYTES + 1]) {
    const text = JSON.stringify({ format: 'nextscale-manifest', version: 1, model: 'm', files: [{ path: 'w.bin', size, sha256: '0'.repeat(64) }] });
    assert.throws(() => parseManifest(text, 'u'), (e: unknown) => e instanceof ManifestError && /64 GiB/.test((e as Error).message));
  }
  const many = { format: 'nextscale-manifest', version: 1, model: 'm', files: Array.from({ length: 5000 }, (_, i) => ({ path: `f${i}`, size: 1, sha256: '0'.repeat(64) })) };
  assert.throws(() => parseManifest(JSON.stringify(many), 'u'), ManifestError);
});

test('the largest allowed file keeps its chunk table small, and a shorter server file is "truncated", not a network drop', async () => {
  const data = new Uint8Array(5000).fill(7);
  const manifest = manifestOf([['w.bin', data, MAX_FILE_BYTES]]);
  const fetch = (async (input: RequestInfo | URL) => {
    const path = String(input).slice(BASE.length);
    if (path === 'manifest.json') return new Response(manifest);
    return new Response(data, { headers: { 'Content-Length': String(data.length), 'Content-Type': 'application/octet-stream' } });
  }) as typeof globalThis.fetch;
  const storage = memoryStorage();
  await assert.rejects(loadModelFiles(BASE, { fetch, storage, chunkSize: 1024 }), (e: unknown) => {
    assert.ok(e instanceof TruncatedFileError, String(e));
    assert.equal(e.code, 'E_TRUNCATED_FILE');
    assert.doesNotMatch(e.message, /network|resume/i);
    return true;
  });
  const rec = [...storage.map.entries()].find(([k]) => k.startsWith('f/'))?.[1] as { chunkHashes: unknown[] } | undefined;
  assert.ok(!rec || rec.chunkHashes.length <= MAX_CHUNKS);
});

test('a server that answers with a web page: "not a model file" for weights, "no model here" for the manifest', async () => {
  const w = new Uint8Array(64).fill(1);
  const page = '<!doctype html><html><body>app</body></html>';
  const spaWeights = (async (input: RequestInfo | URL) =>
    String(input).endsWith('manifest.json') ? new Response(manifestOf([['w.bin', w]])) : new Response(page, { headers: { 'Content-Type': 'text/html; charset=utf-8' } })) as typeof globalThis.fetch;
  await assert.rejects(loadModelFiles(BASE, { fetch: spaWeights, storage: null }), (e: unknown) => e instanceof NotModelFileError && /text\/html/.test((e as Error).message));
  for (const headers of [{ 'Content-Type': 'text/html' }, {}] as Record<string, string>[]) {
    const spa = (async () => new Response(page, { headers })) as typeof globalThis.fetch;
    await assert.rejects(loadModelFiles(BASE, { fetch: spa, storage: null }), (e: unknown) => {
      assert.ok(e instanceof ModelNotFoundError, String(e));
      assert.match(e.message, /HTML page/);
      assert.doesNotMatch(e.message, /Regenerate/);
      return true;
    });
  }
});

test('a local file shorter than its manifest is a truncated file (CLI file: URLs)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-trunc-'));
  const whole = new Uint8Array(10000).map((_, i) => i & 255);
  writeFileSync(join(dir, 'manifest.json'), manifestOf([['w.bin', whole]]));
  writeFileSync(join(dir, 'w.bin'), whole.subarray(0, 6000));
  const base = pathToFileURL(dir + '/').href;
  for (const chunkSize of [1024, 4 << 20]) {
    await assert.rejects(loadModelFiles(base, { fetch: createFileFetch(), storage: memoryStorage(), chunkSize }), (e: unknown) => {
      assert.ok(e instanceof TruncatedFileError, String(e));
      assert.match(e.message, /6000 bytes but manifest.json lists 10000/);
      return true;
    });
  }
  // A stream that ends early on disk (the size check passed: a file cut while being read) is also not "the network".
  const lying = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await createFileFetch()(input, init);
    if (!String(input).endsWith('w.bin')) return res;
    return new Response(res.body, { status: res.status, headers: { 'Content-Type': 'application/octet-stream' } });
  }) as typeof globalThis.fetch;
  await assert.rejects(loadModelFiles(base, { fetch: lying, storage: null }), TruncatedFileError);
});

function safetensors(values: Uint16Array): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F16', shape: [values.length], data_offsets: [0, values.byteLength] } }));
  const out = new Uint8Array(8 + header.length + values.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(new Uint8Array(values.buffer), 8 + header.length);
  return out;
}

test('weights holding NaN or Inf are refused, and a stored model records the check so a cached load skips it', async () => {
  assert.equal(firstNonFinite(new Uint8Array(new Uint16Array([0x3c00, 0x7e00]).buffer), 'F16'), 1);
  assert.equal(firstNonFinite(new Uint8Array(new Float32Array([1, 2, -Infinity]).buffer), 'F32'), 2);
  assert.equal(firstNonFinite(new Uint8Array(new Float32Array([1, 2, 3e38]).buffer), 'F32'), -1);
  assert.equal(firstNonFinite(new Uint8Array(new Uint16Array([0x7f80]).buffer), 'BF16'), 0);
  // Against a plain per-element scan: odd lengths, unaligned views, the hit in either half of a word.
  for (let trial = 0; trial < 2000; trial++) {
    const n = 1 + (trial % 37);
    const u16 = new Uint16Array(n + 1).map((_, i) => ((i * 7919 + trial * 104729) % 97 === 0 ? 0x7c00 | (i & 0x3ff) : (i * 31 + trial) & 0x3bff));
    const bytes = new Uint8Array(u16.buffer).subarray(2, 2 + 2 * n);
    for (const dt of ['F16', 'BF16'] as const) {
      const exp = dt === 'F16' ? 0x7c00 : 0x7f80;
      const ref = Array.from(new Uint16Array(bytes.slice().buffer)).findIndex((v) => (v & exp) === exp);
      assert.equal(firstNonFinite(bytes, dt), ref, `trial ${trial} ${dt}`);
    }
  }
  const fakeCtx = { limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 30 } } as unknown as GpuContext;
  const bad = safetensors(new Uint16Array([0x3c00, 0x3c00, 0xfc00, 0]));
  assert.throws(() => uploadSafetensors(fakeCtx, [{ name: 'model.safetensors', source: bytesSource(bad) }]),
    (e: unknown) => e instanceof WeightsFormatError && /tensor "w" holds a NaN or infinite value \(element 2\)/.test((e as Error).message));

  const good = safetensors(new Uint16Array([0x3c00, 0x4000]));
  const manifest = manifestOf([['model.safetensors', good]]);
  const fetch = (async (input: RequestInfo | URL) =>
    String(input).endsWith('manifest.json') ? new Response(manifest) : new Response(good.slice())) as typeof globalThis.fetch;
  const storage = memoryStorage();
  const first = await loadModelFiles(BASE, { fetch, storage });
  assert.equal(first.files.get('model.safetensors')!.valuesChecked, false);
  await first.markValuesChecked();
  const second = await loadModelFiles(BASE, { fetch, storage });
  assert.equal(second.fromCache, true);
  assert.equal(second.files.get('model.safetensors')!.valuesChecked, true);
});

test('checkpoint names: .pth sources, hub names expanded, the VAE looked for beside the transformer', async () => {
  const { expandHubUrl, isCheckpointSource, defaultVaeUrl, resolveCheckpointUrl } = await import('../store/model-url');
  assert.equal(expandHubUrl('hf:FoundationVision/var/var_d16.pth'), 'https://huggingface.co/FoundationVision/var/resolve/main/var_d16.pth');
  assert.equal(expandHubUrl('hf:FoundationVision/var@v1.0/sub dir/var_d30.pth'), 'https://huggingface.co/FoundationVision/var/resolve/v1.0/sub%20dir/var_d30.pth');
  assert.equal(expandHubUrl('https://x/y.pth'), 'https://x/y.pth');
  for (const s of ['var_d16.pth', '/m/var_d16.PTH', 'https://h/var_d16.pth?download=1', 'hf:a/b/c.pth']) assert.ok(isCheckpointSource(s), s);
  for (const s of ['nextscale-tiny', '/models/var-d16/', 'https://h/x.pth/']) assert.ok(!isCheckpointSource(s), s);
  assert.equal(defaultVaeUrl(resolveCheckpointUrl('hf:FoundationVision/var/var_d16.pth')), 'https://huggingface.co/FoundationVision/var/resolve/main/vae_ch160v4096z32.pth');
  assert.equal(defaultVaeUrl('file:///data/ckpt/var_d20.pth'), 'file:///data/ckpt/vae_ch160v4096z32.pth');
});
