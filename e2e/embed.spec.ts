// The embeddable builds (npm run build:lib): a plain page with only the script file, elements that
// share one model load, attribute changes, removal mid-generation, bad attributes and models, and
// `npm pack` installed into a scratch project that type-checks the Vite example against it.
import { test, expect, chromium, type Page } from '@playwright/test';
import { chromiumLaunch } from '../playwright.config';
import { execFileSync, execSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, goldenCases, requireModel } from './goldens';
import { startStaticServer } from './embed/static-server';
import type { Server } from 'node:http';

const GEN_TIMEOUT = 180_000;

test.describe.configure({ mode: 'serial' });

// Pages are served by a plain static server (no dev server, nothing injected), as a host would.
let host: { server: Server; url: string };
test.beforeAll(async () => {
  execSync('npm run build:lib', { cwd: REPO, stdio: 'pipe' });
  host = await startStaticServer(REPO);
});
test.afterAll(() => host?.server.close());

const done = (page: Page, id: string, n = 1) =>
  page.waitForFunction(([id, n]) => ((window as unknown as Record<string, number>)[`done_${id}`] ?? 0) >= n, [id, n] as const, { timeout: GEN_TIMEOUT });

async function countDone(page: Page, ids: string[]): Promise<void> {
  await page.evaluate((ids) => {
    for (const id of ids) {
      const w = window as unknown as Record<string, number>;
      document.getElementById(id)!.addEventListener('done', () => (w[`done_${id}`] = (w[`done_${id}`] ?? 0) + 1));
    }
  }, ids);
}

test('a plain page with only the script file: <nextscale-image> generates, and regenerates on an attribute change', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  const requests: string[] = [];
  page.on('request', (r) => r.url().startsWith('http') && requests.push(new URL(r.url()).pathname));
  await page.goto(`${host.url}/examples/plain-html/index.html`);
  await countDone(page, ['img']);
  await done(page, 'img');
  // The page, the one script file, the model's files and, on the CPU backend (auto on this software GPU),
  // onnxruntime's two files from beside the script: nothing else is fetched, nothing from a CDN.
  const others = [...new Set(requests.filter((p) => !p.startsWith('/models/nextscale-tiny/')))];
  expect(others.slice(0, 2)).toEqual(['/examples/plain-html/index.html', '/dist/lib/nextscale.iife.js']);
  expect(others.slice(2).sort()).toEqual(['/dist/lib/ort-wasm-simd-threaded.mjs', '/dist/lib/ort-wasm-simd-threaded.wasm']);
  expect(requests).toContain('/models/nextscale-tiny/model.safetensors');
  const first = await page.evaluate(() => {
    const c = document.getElementById('img')!.shadowRoot!.querySelector('canvas')!;
    return { w: c.width, px: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.slice(0, 400)) };
  });
  expect(first.w).toBe(64);
  expect(new Set(first.px).size, 'the canvas holds an image, not a blank').toBeGreaterThan(2);
  // NEXTSCALE_SCREENSHOT=1 refreshes the README's embed screenshot; otherwise it goes to test-results/.
  const shot = process.env.NEXTSCALE_SCREENSHOT ? join(REPO, 'docs', 'screenshot-embed.png') : test.info().outputPath('screenshot-embed.png');
  await page.screenshot({ path: shot, fullPage: true });
  const seeds: number[] = await page.evaluate(() => {
    const el = document.getElementById('img')!;
    const out: number[] = [];
    el.addEventListener('done', (e) => out.push((e as CustomEvent).detail.seed));
    (window as unknown as { seeds: number[] }).seeds = out;
    el.setAttribute('seed', '11');
    return out;
  });
  expect(seeds).toEqual([]);
  await done(page, 'img', 2);
  expect(await page.evaluate(() => (window as unknown as { seeds: number[] }).seeds)).toEqual([11]);
});

test('two elements share one worker and one model load (counted requests)', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  const weights: string[] = [];
  page.on('request', (r) => /\/models\/nextscale-tiny\//.test(r.url()) && weights.push(new URL(r.url()).pathname));
  await page.goto(`${host.url}/e2e/embed/two.html`);
  await countDone(page, ['a', 'b']);
  await done(page, 'a');
  await done(page, 'b');
  const count = (f: string) => weights.filter((p) => p.endsWith(f)).length;
  expect(count('manifest.json')).toBe(1);
  expect(count('model.safetensors')).toBe(1);
  expect(count('vq.safetensors')).toBe(1);
});

test('<nextscale-image class-label> runs a converted VAR model: the reference codes', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(`${host.url}/e2e/embed/var.html`);
  const codes = await page.evaluate(
    () => new Promise<number[][]>((resolve, reject) => {
      const el = document.getElementById('v')!;
      el.addEventListener('done', (e) => resolve((e as CustomEvent).detail.codes));
      el.addEventListener('error', (e) => reject(new Error((e as unknown as CustomEvent).detail.message)));
    }),
  );
  const golden = JSON.parse(readFileSync(join(REPO, 'e2e', 'goldens', 'var-tiny', 'class207_cfg4.json'), 'utf8'));
  expect(codes).toEqual(golden.scales);
});

test('removing an element mid-generation cancels its run; the next element still works', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  await page.goto(`${host.url}/e2e/embed/two.html`);
  await page.evaluate(() => {
    const a = document.getElementById('a')!;
    a.addEventListener('scale', () => a.remove(), { once: true });
  });
  await countDone(page, ['b']);
  await done(page, 'b');
  await page.waitForFunction(() => (customElements.get('nextscale-image') as unknown as { cancelledRuns: number }).cancelledRuns === 1, undefined, { timeout: GEN_TIMEOUT });
});

test('an unreachable model gives an error event and a visible message; bad attributes warn and fall back', async ({ page }) => {
  test.setTimeout(300_000);
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.addInitScript(() => {
    addEventListener('error', (e) => ((window as unknown as { elementError?: string }).elementError = (e as unknown as CustomEvent).detail?.message), true);
  });
  await page.goto(`${host.url}/e2e/embed/bad.html`);
  const status = page.locator('#missing').locator('p.status');
  await expect(status).toContainText('No model at', { timeout: GEN_TIMEOUT });
  await expect(status).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { elementError?: string }).elementError)).toContain('No model at');
  await page.evaluate(() => {
    const el = document.createElement('nextscale-image');
    el.setAttribute('model', '/no-such-model/');
    el.setAttribute('prompt', 'x');
    el.setAttribute('seed', 'abc');
    el.setAttribute('promt', 'typo');
    document.body.append(el);
  });
  await expect.poll(() => warnings.join('\n')).toContain('seed="abc" is not an integer');
  expect(warnings.join('\n')).toContain('unknown attribute "promt"');
});

test('a browser with no WebGPU at all (--disable-webgpu): the script tag and <nextscale-image> run on the CPU and draw the golden codes', async () => {
  test.setTimeout(300_000);
  requireModel();
  const browser = await chromium.launch({ ...chromiumLaunch, args: [...chromiumLaunch.args.filter((a) => a !== '--enable-unsafe-webgpu'), '--disable-webgpu'] });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => r.url().startsWith('http') && requests.push(new URL(r.url()).pathname));
    await page.goto(`${host.url}/e2e/embed/two.html`);
    expect(await page.evaluate(() => !!(navigator as { gpu?: GPU }).gpu && (navigator as { gpu: GPU }).gpu.requestAdapter().then((a) => !!a))).toBe(false);
    const c = goldenCases()[0];
    const got = await page.evaluate((c) => new Promise<{ codes: number[][]; device: unknown }>((resolve, reject) => {
      const el = document.createElement('nextscale-image');
      for (const [k, v] of Object.entries({ prompt: c.prompt, seed: c.seed, cfg: c.sampling.cfg, 'top-k': c.sampling.top_k, 'top-p': c.sampling.top_p })) el.setAttribute(k, String(v));
      el.addEventListener('done', async (e) => {
        const info = await (window as unknown as { nextscale: { loadModel(): Promise<{ device: unknown }> } }).nextscale.loadModel();
        resolve({ codes: (e as CustomEvent).detail.codes, device: info.device });
      });
      el.addEventListener('error', (e) => reject(new Error((e as unknown as CustomEvent).detail.message)));
      document.body.append(el);
    }), c);
    expect(got.codes).toEqual(c.scales);
    expect(got.device).toMatchObject({ backend: 'wasm', requested: 'auto' });
    expect((got.device as { reason: string }).reason).toMatch(/no GPU adapter|no WebGPU/);
    expect([...new Set(requests.filter((p) => p.includes('ort-wasm')))].sort()).toEqual(['/dist/lib/ort-wasm-simd-threaded.mjs', '/dist/lib/ort-wasm-simd-threaded.wasm']);
    // device="webgpu" on the same page has no adapter: the element says so, typed.
    const err = await page.evaluate(() => new Promise<string>((resolve) => {
      const el = document.createElement('nextscale-image');
      el.setAttribute('device', 'webgpu');
      el.setAttribute('prompt', 'red apple');
      el.addEventListener('error', (e) => resolve(String((e as unknown as CustomEvent).detail.error?.code ?? (e as unknown as CustomEvent).detail.message)));
      document.body.append(el);
    }));
    expect(err).toBe('E_NO_WEBGPU');
  } finally {
    await browser.close();
  }
});

test('npm pack: the package installs into a scratch project and the Vite example type-checks against it', async () => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-pack-'));
  try {
    execSync(`npm pack --pack-destination ${dir}`, { cwd: REPO, stdio: 'pipe' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const app = join(dir, 'app');
    cpSync(join(REPO, 'examples', 'vite-app'), app, { recursive: true });
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    pkg.dependencies.nextscale = `file:../${tgz}`;
    delete pkg.devDependencies; // typescript comes from this repo: the scratch install needs no network
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    execSync('npm install --prefer-offline --no-audit --no-fund --ignore-scripts', { cwd: app, stdio: 'pipe' });
    symlinkSync(join(REPO, 'node_modules', 'typescript'), join(app, 'node_modules', 'typescript'));
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'nextscale', 'package.json'), 'utf8'));
    expect(installed.types).toBe('./dist/types/index.d.ts');
    execFileSync(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { stdio: 'pipe' });
    // And a misuse fails the check, so the types really constrain callers.
    writeFileSync(join(app, 'src', 'bad.ts'), "import { generateImage } from 'nextscale';\ngenerateImage({ prompt: 1 });\n");
    expect(() => execFileSync(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { stdio: 'pipe' })).toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('<nextscale-chat>: a conversation three times longer than the context keeps working; each drop is noted in its reply', async ({ page }) => {
  test.setTimeout(600_000);
  requireModel();
  await page.goto(`${host.url}/examples/plain-html/index.html`);
  // Replies land in window.replies through the element's 'reply' event.
  await page.evaluate(() => {
    const w = window as unknown as { replies: unknown[] };
    w.replies = [];
    const el = document.getElementById('chat')!;
    el.setAttribute('context', '512'); // a 512-token window of the model's context keeps the test short
    el.addEventListener('reply', (e) => w.replies.push((e as CustomEvent).detail));
  });
  const input = page.locator('#chat input[type=text]');
  let whole = 0;
  let drops = 0;
  let contextLength = Infinity;
  for (let turn = 0; whole < 3 * Math.min(contextLength, 512); turn++) {
    expect(turn, 'turns needed').toBeLessThan(20);
    await input.fill(turn % 2 ? 'now make it blue' : 'draw a small red circle at the top left on a white background');
    // The first check loads the model (download and shader compiles), so it may take a while.
    if (turn === 0) await expect(page.locator('#chat .hint')).toContainText('context tokens with this message', { timeout: GEN_TIMEOUT });
    await input.press('Enter');
    await page.waitForFunction((n) => (window as unknown as { replies: unknown[] }).replies.length > n, turn, { timeout: GEN_TIMEOUT });
    const r = (await page.evaluate((n) => (window as unknown as { replies: unknown[] }).replies[n], turn)) as {
      contextTokens: number; contextLength: number; message: { parts: unknown[] }; dropped?: { tokensBefore: number; tokensAfter: number };
    };
    contextLength = r.contextLength;
    expect(r.contextTokens, `turn ${turn}: inside the context`).toBeLessThanOrEqual(r.contextLength);
    expect(r.message.parts.length, `turn ${turn} got a reply`).toBeGreaterThan(0);
    const notes = page.locator('#chat .msg.assistant').last().locator('.note');
    if (r.dropped) {
      drops++;
      await expect(notes).toContainText('Left out');
    } else await expect(notes).toHaveCount(0);
    whole = r.dropped ? r.dropped.tokensBefore + (r.contextTokens - r.dropped.tokensAfter) : r.contextTokens;
  }
  expect(drops, 'turns were left out').toBeGreaterThan(0);
});
