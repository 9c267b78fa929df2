// The model store in headless Chromium: progress, IndexedDB chunks, resume, integrity, quota,
// listing and deletion, against a fake model folder served through page.route (random bytes
// made at test time, 64 KiB chunks so a few hundred KB exercise every path).
import { test, expect, type Page, type Request } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import type { LoadRequest, LoadSummary } from './store/page';

const CHUNK = 64 * 1024;
const BASE = '/__store-fixture/tiny/';
const BIG = 'model.safetensors';
const BIG_SIZE = 3 * CHUNK + 12_345; // 4 chunks, the last one partial

interface Fixture {
  files: Map<string, Buffer>;
  manifest: string;
}

function makeFixture(edit?: (m: { path: string; size: number; sha256: string }[]) => void): Fixture {
  const files = new Map<string, Buffer>([
    ['config.json', Buffer.from(JSON.stringify({ model: 'tiny', scales: [1, 2, 4] }))],
    [BIG, randomBytes(BIG_SIZE)],
    ['tokenizer.json', Buffer.from(JSON.stringify({ model: { vocab: { a: 0, b: 1 } } }))],
    ['extra.bin', randomBytes(10_000)],
  ]);
  const list = [...files].map(([path, b]) => ({ path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') }));
  edit?.(list);
  return { files, manifest: JSON.stringify({ format: 'nextscale-manifest', version: 1, model: 'tiny', files: list }, null, 1) };
}

/** How the fake server misbehaves, changeable between loads. */
interface ServerMode {
  ignoreRange?: boolean;
  /** Serve only this many bytes of a file (a 200 whose body ends early). */
  truncate?: Record<string, number>;
  manifestStatus?: number;
  manifestBody?: string;
  offline?: boolean;
}

async function serve(page: Page, fx: Fixture, mode: ServerMode = {}): Promise<ServerMode> {
  await page.route(`**${BASE}**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(BASE.length);
    if (mode.offline) return route.abort('internetdisconnected');
    if (path === 'manifest.json') {
      if (mode.manifestStatus) return route.fulfill({ status: mode.manifestStatus, body: 'nope' });
      return route.fulfill({ status: 200, contentType: 'application/json', body: mode.manifestBody ?? fx.manifest });
    }
    const data = fx.files.get(path);
    if (!data) return route.fulfill({ status: 404, body: 'not found' });
    const range = /bytes=(\d+)-(\d+)?/.exec(route.request().headers()['range'] ?? '');
    const cut = mode.truncate?.[path];
    if (range && !mode.ignoreRange) {
      const a = Number(range[1]);
      const b = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
      const headers = { 'Content-Range': `bytes ${a}-${b}/${data.length}`, 'Content-Type': 'application/octet-stream' };
      return route.fulfill({ status: 206, headers, body: data.subarray(a, cut !== undefined ? Math.min(b + 1, cut) : b + 1) });
    }
    // A cut connection: the server announced the whole file, the body stops early (a file that is itself
    // shorter announces its own length: TruncatedFileError, tested in src/tests/store-hostile.test.ts).
    const headers = cut !== undefined ? { 'Content-Length': String(data.length) } : undefined;
    return route.fulfill({ status: 200, contentType: 'application/octet-stream', headers, body: cut !== undefined ? data.subarray(0, cut) : data });
  });
  return mode;
}

/** Every request the page makes for the fixture: path and Range header. */
function recordRequests(page: Page): { path: string; range?: string }[] {
  const log: { path: string; range?: string }[] = [];
  page.on('request', (r: Request) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith(BASE)) log.push({ path: u.pathname.slice(BASE.length), range: r.headers()['range'] });
  });
  return log;
}
const weightRequests = (log: { path: string }[]) => log.filter((r) => r.path !== 'manifest.json');

async function open(page: Page): Promise<void> {
  page.on('console', (m) => m.type() === 'error' && console.log(`[page] ${m.text()}`));
  await page.goto('/e2e/store/index.html');
  await page.waitForFunction(() => typeof window.__store === 'object');
}

function load(page: Page, req: Partial<LoadRequest> = {}): Promise<LoadSummary> {
  return page.evaluate(([b, r]) => window.__store.load(b, r), [BASE, { chunkSize: CHUNK, ...req }] as const);
}

function expectVerified(r: LoadSummary, fx: Fixture): void {
  expect(r.error, r.error?.message).toBeUndefined();
  expect(r.ok).toBe(true);
  const want = JSON.parse(fx.manifest).files as { path: string; size: number; sha256: string }[];
  expect(r.files!.map(({ path, size, sha256 }) => ({ path, size, sha256 }))).toEqual(want);
}

test.describe('model store (IndexedDB, browser)', () => {
  test('SHA-256 matches known vectors and SubtleCrypto', async ({ page }) => {
    await open(page);
    const v = await page.evaluate(() => window.__store.shaVectors());
    expect(v[0][0]).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(v[1][0]).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(v[2][0]).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    for (const [ours, subtle] of v) expect(ours).toBe(subtle);
  });

  test('first load streams monotone progress to 100%; a reload makes no weight request, even offline', async ({ page }) => {
    const fx = makeFixture();
    const mode = await serve(page, fx);
    const log = recordRequests(page);
    await open(page);
    const r = await load(page);
    expectVerified(r, fx);
    expect(r.cached).toBe(true);
    expect(r.fromCache).toBe(false);
    expect(r.config).toEqual({ model: 'tiny', scales: [1, 2, 4] });
    expect(r.files!.find((f) => f.path === BIG)!.chunks).toBe(4);
    const loaded = r.progress.map((p) => p.loadedBytes);
    const percents = r.progress.map((p) => p.percent);
    for (let i = 1; i < loaded.length; i++) {
      expect(loaded[i]).toBeGreaterThanOrEqual(loaded[i - 1]);
      expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
    }
    expect(percents.at(-1)).toBe(100);
    // Byte-level events inside the big file, not only one per file.
    const mid = r.progress.filter((p) => p.file === BIG && p.phase === 'download' && p.fileLoadedBytes! > 0 && p.fileLoadedBytes! < BIG_SIZE);
    expect(mid.length).toBeGreaterThanOrEqual(3);
    expect(r.progress.every((p) => !p.fromCache || p.phase === 'ready')).toBe(true);
    expect(weightRequests(log).map((q) => q.path).sort()).toEqual(['config.json', 'extra.bin', BIG, 'tokenizer.json'].sort());

    log.length = 0;
    await page.reload();
    await page.waitForFunction(() => typeof window.__store === 'object');
    const again = await load(page);
    expectVerified(again, fx);
    expect(again).toMatchObject({ cached: true, fromCache: true, downloadedBytes: 0, id: r.id });
    expect(weightRequests(log)).toEqual([]);
    expect(log.map((q) => q.path)).toEqual(['manifest.json']);
    expect(again.progress.at(-1)!.percent).toBe(100);

    mode.offline = true;
    log.length = 0;
    const offline = await load(page);
    expectVerified(offline, fx);
    expect(offline.fromCache).toBe(true);
    expect(offline.note).toContain('cached manifest');
    expect(weightRequests(log)).toEqual([]);
  });

  test('an interrupted download fails with DownloadTruncatedError and resumes with a Range request', async ({ page }) => {
    const fx = makeFixture();
    const mode = await serve(page, fx, { truncate: { [BIG]: 2 * CHUNK + 5000 } });
    const log = recordRequests(page);
    await open(page);
    const r = await load(page);
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ name: 'DownloadTruncatedError', code: 'E_DOWNLOAD_TRUNCATED' });
    expect(r.error!.message).toContain(`stopped at byte ${2 * CHUNK + 5000} of ${BIG_SIZE}`);
    const id = (await page.evaluate(() => window.__store.list()))[0].id;
    const rec = (await page.evaluate((k) => window.__store.rawGet(k), `f/${id}/${BIG}`)) as { chunkHashes: (string | null)[]; verified: boolean };
    expect(rec.chunkHashes.map(Boolean)).toEqual([true, true, false, false]);
    expect(rec.verified).toBe(false);

    mode.truncate = {};
    log.length = 0;
    const resumed = await load(page);
    expectVerified(resumed, fx);
    expect(resumed.cached).toBe(true);
    const big = log.filter((q) => q.path === BIG);
    expect(big).toEqual([{ path: BIG, range: `bytes=${2 * CHUNK}-${BIG_SIZE - 1}` }]);
    // The big file's missing tail plus the two files after it, which the first load never reached.
    const after = fx.files.get('tokenizer.json')!.length + fx.files.get('extra.bin')!.length;
    expect(resumed.downloadedBytes).toBe(BIG_SIZE - 2 * CHUNK + after);
  });

  test('a server that ignores Range (200) is skipped to the missing bytes', async ({ page }) => {
    const fx = makeFixture();
    const mode = await serve(page, fx, { truncate: { [BIG]: CHUNK + 100 } });
    await open(page);
    expect((await load(page)).error?.name).toBe('DownloadTruncatedError');
    Object.assign(mode, { truncate: {}, ignoreRange: true });
    const resumed = await load(page);
    expectVerified(resumed, fx);
    expect(resumed.cached).toBe(true);
  });

  test('cancelling through AbortSignal gives DownloadCancelledError and the partial download resumes', async ({ page }) => {
    const fx = makeFixture();
    await serve(page, fx);
    const log = recordRequests(page);
    await open(page);
    const configSize = fx.files.get('config.json')!.length;
    const r = await load(page, { abortAfterBytes: configSize + 2 * CHUNK });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ name: 'DownloadCancelledError', code: 'E_CANCELLED' });
    log.length = 0;
    const resumed = await load(page);
    expectVerified(resumed, fx);
    const range = log.find((q) => q.path === BIG)?.range;
    const start = Number(/bytes=(\d+)-/.exec(range ?? '')?.[1]);
    expect(start).toBe(2 * CHUNK);
  });

  test('a corrupted cached chunk is detected and only that chunk is fetched again', async ({ page }) => {
    const fx = makeFixture();
    await serve(page, fx);
    const log = recordRequests(page);
    await open(page);
    const first = await load(page);
    expectVerified(first, fx);
    expect(await page.evaluate((k) => window.__store.corruptChunk(k), `c/${first.id}/${BIG}/1`)).toBe(true);

    await page.reload();
    await page.waitForFunction(() => typeof window.__store === 'object');
    log.length = 0;
    const healed = await load(page);
    expectVerified(healed, fx);
    expect(healed.cached).toBe(true);
    expect(weightRequests(log)).toEqual([{ path: BIG, range: `bytes=${CHUNK}-${2 * CHUNK - 1}` }]);
    expect(healed.downloadedBytes).toBe(CHUNK);

    log.length = 0;
    const clean = await load(page);
    expect(clean.fromCache).toBe(true);
    expect(weightRequests(log)).toEqual([]);
  });

  test('a missing model is ModelNotFoundError with the URL', async ({ page }) => {
    await serve(page, makeFixture(), { manifestStatus: 404 });
    await open(page);
    const r = await load(page);
    expect(r.error).toMatchObject({ name: 'ModelNotFoundError', code: 'E_MODEL_NOT_FOUND' });
    expect(r.error!.message).toContain(`${BASE}manifest.json`);
    expect(r.error!.message).toContain('404');
  });

  test('a wrong hash in the manifest is IntegrityError after one retry, and nothing is marked complete', async ({ page }) => {
    const fx = makeFixture((files) => (files.find((f) => f.path === 'extra.bin')!.sha256 = 'ab'.repeat(32)));
    await serve(page, fx);
    const log = recordRequests(page);
    await open(page);
    const r = await load(page);
    expect(r.error).toMatchObject({ name: 'IntegrityError', code: 'E_INTEGRITY' });
    expect(r.error!.message).toContain('extra.bin');
    expect(log.filter((q) => q.path === 'extra.bin')).toHaveLength(2);
    const [m] = await page.evaluate(() => window.__store.list());
    expect(m.complete).toBe(false);
    const keys = await page.evaluate(() => window.__store.rawKeys());
    expect(keys.filter((k) => k.includes('/extra.bin'))).toEqual([]);
    // What did verify stays cached: nothing else is lost.
    expect(keys).toContain(`f/${m.id}/${BIG}`);
  });

  test('malformed manifests are ManifestError', async ({ page }) => {
    const mode = await serve(page, makeFixture(), { manifestBody: '{"format": "nextscale-manifest",' });
    await open(page);
    expect((await load(page)).error).toMatchObject({ name: 'ManifestError', code: 'E_MANIFEST' });
    const evil = JSON.parse(makeFixture().manifest);
    evil.files[0].path = '../secrets.bin';
    mode.manifestBody = JSON.stringify(evil);
    const r = await load(page);
    expect(r.error).toMatchObject({ name: 'ManifestError' });
    expect(r.error!.message).toContain('..');
  });

  test('storage quota exceeded: runs from memory and says so', async ({ page }) => {
    const fx = makeFixture();
    await serve(page, fx);
    await open(page);
    const r = await load(page, { quotaOnChunks: true });
    expectVerified(r, fx);
    expect(r.cached).toBe(false);
    expect(r.note).toMatch(/storage quota exceeded.*running from memory/i);
    const [m] = await page.evaluate(() => window.__store.list());
    expect(m.complete).toBe(false);
  });

  test('list and delete cached models', async ({ page }) => {
    const fx = makeFixture();
    await serve(page, fx);
    await open(page);
    const r = await load(page);
    expectVerified(r, fx);
    const list = await page.evaluate(() => window.__store.list());
    const total = [...fx.files.values()].reduce((a, b) => a + b.length, 0);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: r.id, model: 'tiny', bytes: total, files: 4, complete: true });
    expect(list[0].baseUrl).toMatch(new RegExp(`${BASE}$`));
    expect(r.id).toMatch(/^tiny@[0-9a-f]{64}$/);
    await page.evaluate((id) => window.__store.del(id), r.id!);
    expect(await page.evaluate(() => window.__store.list())).toEqual([]);
    expect(await page.evaluate(() => window.__store.rawKeys())).toEqual([]);
  });
});
