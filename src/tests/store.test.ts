// Unit tests (node:test through tsx) of the model store's logic with an in-memory storage and a
// fake fetch: manifest validation, chunking, resume with Range, corruption repair, quota → memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { deleteCachedModel, listCachedModels, loadModelFiles, ModelFile, parseManifest, type StoreStorage } from '../store';
import { DownloadTruncatedError, IntegrityError, ManifestError, ModelNotFoundError, StorageQuotaError } from '../api/errors';

const CHUNK = 4096;
const BASE = 'http://models.test/tiny/';

function memoryStorage(): StoreStorage & { map: Map<string, unknown>; failChunks?: boolean } {
  const map = new Map<string, unknown>();
  const s = {
    map,
    failChunks: false,
    get: async <T>(k: string) => structuredClone(map.get(k)) as T | undefined,
    async setMany(entries: [string, unknown][]) {
      if (s.failChunks && entries.some(([k]) => k.startsWith('c/'))) throw new StorageQuotaError();
      for (const [k, v] of entries) map.set(k, structuredClone(v));
    },
    delMany: async (ks: string[]) => ks.forEach((k) => map.delete(k)),
    keysWithPrefix: async (p: string) => [...map.keys()].filter((k) => k.startsWith(p)).sort(),
  };
  return s;
}

function fixture() {
  const files = new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode('{"scales":[1,2]}')],
    ['w.bin', new Uint8Array(randomBytes(3 * CHUNK + 100))],
  ]);
  const list = [...files].map(([path, b]) => ({ path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') }));
  const manifest = JSON.stringify({ format: 'nextscale-manifest', version: 1, model: 'tiny', files: list });
  const log: { path: string; range: string | null }[] = [];
  const server = { truncateAt: undefined as number | undefined };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = String(input).slice(BASE.length);
    const range = new Headers(init?.headers).get('Range');
    log.push({ path, range });
    if (path === 'manifest.json') return new Response(manifest);
    const data = files.get(path);
    if (!data) return new Response('no', { status: 404 });
    const m = /bytes=(\d+)-(\d+)/.exec(range ?? '');
    const body = m ? data.slice(Number(m[1]), Number(m[2]) + 1) : data;
    const cut = server.truncateAt !== undefined && path === 'w.bin' ? body.slice(0, server.truncateAt - (m ? Number(m[1]) : 0)) : body;
    return new Response(cut as Uint8Array<ArrayBuffer>, m ? { status: 206, headers: { 'Content-Range': `bytes ${m[1]}-${m[2]}/${data.length}` } } : {});
  };
  return { files, manifest, fetch: fetch as typeof globalThis.fetch, log, server };
}

test('parseManifest rejects bad JSON, fields and paths', () => {
  const ok = { format: 'nextscale-manifest', version: 1, model: 'm', files: [{ path: 'a/b.bin', size: 1, sha256: '0'.repeat(64) }] };
  assert.match(parseManifest(JSON.stringify(ok), 'u').id, /^m@[0-9a-f]{64}$/);
  const bad = (edit: (m: any) => void) => {
    const m = structuredClone(ok);
    edit(m);
    assert.throws(() => parseManifest(JSON.stringify(m), 'u'), ManifestError);
  };
  assert.throws(() => parseManifest('{', 'u'), ManifestError);
  bad((m) => (m.files[0].path = '../x'));
  bad((m) => (m.files[0].path = '/etc/passwd'));
  bad((m) => (m.files[0].path = 'https://evil/x'));
  bad((m) => (m.files[0].sha256 = 'ABC'));
  bad((m) => (m.files[0].size = -1));
  bad((m) => m.files.push(m.files[0]));
  bad((m) => (m.version = 2));
});

test('ModelFile: chunks, contiguous copy, slice across chunks, text', async () => {
  const f = new ModelFile('x', 10, '', [new Uint8Array([0, 1, 2, 3]), new Uint8Array([4, 5, 6, 7]), new Uint8Array([8, 9])]);
  assert.deepEqual([...f.bytes()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...f.slice(3, 9)], [3, 4, 5, 6, 7, 8]);
  let n = 0;
  for await (const c of f) n += c.byteLength;
  assert.equal(n, 10);
  const t = new ModelFile('t', 3, '', [new Uint8Array([0xe2, 0x82]), new Uint8Array([0xac])]);
  assert.equal(t.text(), '€');
});

test('download, truncated resume with Range, second load from storage, corruption repair, list/delete', async () => {
  const fx = fixture();
  const storage = memoryStorage();
  const opts = { fetch: fx.fetch, storage, chunkSize: CHUNK };
  fx.server.truncateAt = 2 * CHUNK + 10;
  await assert.rejects(loadModelFiles(BASE, opts), DownloadTruncatedError);
  fx.server.truncateAt = undefined;
  fx.log.length = 0;
  const r = await loadModelFiles(BASE, opts);
  assert.deepEqual(r.files.get('w.bin')!.bytes(), fx.files.get('w.bin'));
  assert.deepEqual(r.config, { scales: [1, 2] });
  assert.equal(r.cached, true);
  assert.deepEqual(fx.log.filter((q) => q.path === 'w.bin'), [{ path: 'w.bin', range: `bytes=${2 * CHUNK}-${3 * CHUNK + 99}` }]);

  fx.log.length = 0;
  const again = await loadModelFiles(BASE, opts);
  assert.equal(again.fromCache, true);
  assert.deepEqual(fx.log.map((q) => q.path), ['manifest.json']);

  const key = `c/${r.id}/w.bin/3`;
  (storage.map.get(key) as Uint8Array)[5] ^= 1;
  fx.log.length = 0;
  const healed = await loadModelFiles(BASE, opts);
  assert.deepEqual(healed.files.get('w.bin')!.bytes(), fx.files.get('w.bin'));
  assert.deepEqual(fx.log.filter((q) => q.path === 'w.bin'), [{ path: 'w.bin', range: `bytes=${3 * CHUNK}-${3 * CHUNK + 99}` }]);

  const [m] = await listCachedModels({ storage });
  assert.equal(m.complete, true);
  assert.equal(m.bytes, 3 * CHUNK + 100 + fx.files.get('config.json')!.length);
  await deleteCachedModel(r.id, { storage });
  assert.equal(storage.map.size, 0);
});

test('quota exceeded runs from memory; 404 and wrong hash are typed', async () => {
  const fx = fixture();
  const storage = memoryStorage();
  storage.failChunks = true;
  const r = await loadModelFiles(BASE, { fetch: fx.fetch, storage, chunkSize: CHUNK });
  assert.equal(r.cached, false);
  assert.match(r.note!, /quota exceeded.*running from memory/);
  assert.deepEqual(r.files.get('w.bin')!.bytes(), fx.files.get('w.bin'));

  await assert.rejects(loadModelFiles('http://models.test/missing/', { fetch: fx.fetch, storage: null }), ModelNotFoundError);
  const wrong = fixture();
  const m = JSON.parse(wrong.manifest);
  m.files[1].sha256 = 'ab'.repeat(32);
  const fetchWrong = (async (u: RequestInfo | URL, i?: RequestInit) =>
    String(u).endsWith('manifest.json') ? new Response(JSON.stringify(m)) : wrong.fetch(u, i)) as typeof globalThis.fetch;
  const s2 = memoryStorage();
  await assert.rejects(loadModelFiles(BASE, { fetch: fetchWrong, storage: s2, chunkSize: CHUNK }), IntegrityError);
  assert.deepEqual([...s2.map.keys()].filter((k) => k.includes('w.bin')), []);
});
