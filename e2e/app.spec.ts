// The demo page (index.html, src/app/) in headless Chromium: controls, the no-WebGPU notice, text
// never parsed as HTML, and, with the bundled model, generation against the PyTorch goldens,
// a reload from IndexedDB, cancel-then-generate, a responsive main thread, and the screenshot.
import { test, expect, type Page, type Request } from '@playwright/test';
import { compareWithGolden, goldenCases, REPO, requireModel, type GoldenCase } from './goldens';
import { join } from 'node:path';

const GEN_TIMEOUT = 240_000;

interface DemoState {
  info?: { scales: number[]; sampling: { cfg: number; topK: number; topP: number }; device: { backend: string; reason: string } };
  events: { scale: number; scales: number; grid: number; codes: number[] }[];
  result?: { codes: number[][]; image: { width: number; height: number } };
  error?: { name: string; code?: string; message: string };
}

const demo = (page: Page) => page.evaluate(() => {
  const d = (globalThis as unknown as { nextscaleDemo: DemoState }).nextscaleDemo;
  return { info: d.info, events: d.events, result: d.result && { codes: d.result.codes, image: { width: d.result.image.width, height: d.result.image.height } }, error: d.error };
});

async function waitState(page: Page, states: string[], timeout = GEN_TIMEOUT): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), [...states, 'error', 'no-webgpu'], { timeout });
  const state = await page.evaluate(() => document.body.dataset.state!);
  if (state === 'error' || state === 'no-webgpu') throw new Error(`the page shows an error: ${(await demo(page)).error?.message}`);
  return state;
}

async function setOptions(page: Page, c: GoldenCase): Promise<void> {
  await page.fill('#prompt', c.prompt);
  await page.fill('#seed', String(c.seed));
  await page.fill('#cfg', String(c.sampling.cfg));
  await page.fill('#top-k', String(c.sampling.top_k));
  await page.fill('#top-p', String(c.sampling.top_p));
}

test('the page shows its controls', async ({ page }) => {
  await page.goto('/');
  for (const id of ['#prompt', '#seed', '#random-seed', '#cfg', '#top-k', '#top-p', '#generate', '#cancel', '#progress', '#canvas', '#cache-table']) {
    await expect(page.locator(id)).toBeVisible();
  }
  await expect(page.locator('#cancel')).toBeDisabled();
  await page.click('#random-seed');
  const seed = Number(await page.inputValue('#seed'));
  expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  await expect(page.locator('#no-webgpu')).toBeHidden();
});

test('without WebGPU the page runs on the CPU and says so; ?device=webgpu says what to do', async ({ page }) => {
  test.setTimeout(GEN_TIMEOUT);
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto('/');
  await waitState(page, ['ready']);
  await expect(page.locator('#no-webgpu')).toBeHidden();
  // The engine's worker looks for WebGPU itself: here it finds SwiftShader, a software renderer.
  await expect(page.locator('#status')).toContainText(/Running on the CPU \(wasm, \d+ threads?\): (no GPU adapter|no WebGPU|the GPU adapter is a software renderer)/);
  await expect(page.locator('#model-name')).toContainText('CPU (wasm');
  await page.goto('/?device=webgpu');
  const notice = page.locator('#no-webgpu');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('WebGPU is not available');
  await expect(notice).toContainText('Chrome or Edge 113');
  await expect(notice).toContainText('http://localhost');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'no-webgpu');
  await expect(page.locator('#generate')).toBeDisabled();
});

test('an unknown ?device= is a typed option error on the page', async ({ page }) => {
  await page.goto('/?device=gpu');
  await expect(page.locator('#error')).toContainText('Option "device" = "gpu" is invalid');
});

test('HTML in the prompt is rendered as text', async ({ page }) => {
  await page.addInitScript(() => ((globalThis as { __xss?: number }).__xss = 0));
  await page.goto('/');
  await expect(page.locator('#generate')).toBeEnabled();
  const evil = '<img src=x onerror="window.__xss=1"><b>bold</b>';
  await page.fill('#prompt', evil);
  await page.click('#generate');
  await expect(page.locator('#caption')).toContainText(evil);
  expect(await page.locator('#caption img, #caption b').count()).toBe(0);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBe(0);
});

test('a missing model shows an actionable error', async ({ page }) => {
  await page.goto('/?model=/__no-such-model__/');
  await expect(page.locator('#error')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('#error')).toContainText('/__no-such-model__/');
  await expect(page.locator('#error')).toContainText(/Check the model URL|Regenerate manifest\.json/);
});

// Both backends in the page: 'auto' (the CPU backend on SwiftShader, WebGPU on a real GPU) and WebGPU pinned,
// so the WGSL path keeps its page-level golden check wherever auto goes.
for (const device of ['auto', 'webgpu'] as const) {
test(`generates one preview per scale, in order, with the golden codes and image, and a responsive main thread (device ${device})`, async ({ page }) => {
  test.setTimeout(GEN_TIMEOUT * 2);
  requireModel();
  const [c] = goldenCases();
  await page.goto(device === 'auto' ? '/' : `/?device=${device}`);
  await waitState(page, ['ready']);
  const { info } = await demo(page);
  expect(info!.scales.length).toBe(c.scales.length);
  const ran = info!.device;
  test.info().annotations.push({ type: 'device', description: `${ran.backend}: ${ran.reason}` });
  if (device === 'webgpu') expect(ran.backend).toBe('webgpu');
  await page.evaluate(() => {
    const w = globalThis as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((l) => w.longTasks.push(...l.getEntries().map((e) => Math.round(e.duration)))).observe({ type: 'longtask' });
  });
  await setOptions(page, c);
  await page.click('#generate');
  expect(await waitState(page, ['done', 'cancelled'])).toBe('done');
  const d = await demo(page);
  expect(d.events.map((e) => e.scale)).toEqual(c.scales.map((_, i) => i));
  expect(d.events.map((e) => e.grid)).toEqual(info!.scales);
  await expect(page.locator('#scales li')).toHaveCount(c.scales.length);
  expect(await page.locator('#scales li').evaluateAll((li) => li.map((x) => Number((x as HTMLElement).dataset.scale)))).toEqual(c.scales.map((_, i) => i));
  expect(d.events.map((e) => e.codes)).toEqual(c.scales);
  expect(d.result!.codes).toEqual(c.scales);
  const rgba = await page.evaluate(() => Array.from((globalThis as unknown as { nextscaleDemo: { result: { image: { data: Uint8ClampedArray } } } }).nextscaleDemo.result.image.data));
  const diff = compareWithGolden(c, d.result!.image.width, d.result!.image.height, rgba);
  expect(diff.mean, `mean |Δ| vs ${c.pngPath} (first pixels ${rgba.slice(0, 8)})`).toBeLessThan(2);
  expect(diff.farPixels, 'pixels off by more than 16/255').toBeLessThanOrEqual(Math.ceil(0.01 * rgba.length / 4));
  // The page's own main-thread work per engine event must be short. Long tasks are only reported:
  // on a loaded 2-core box, SwiftShader starves the main thread and idle tasks stretch past 50 ms.
  const { longTasks, maxHandlerMs } = await page.evaluate(() => ({
    longTasks: (globalThis as unknown as { longTasks: number[] }).longTasks,
    maxHandlerMs: (globalThis as unknown as { nextscaleDemo: { maxHandlerMs: number } }).nextscaleDemo.maxHandlerMs,
  }));
  test.info().annotations.push({ type: 'main thread', description: `longest handler ${maxHandlerMs.toFixed(1)} ms; long tasks (ms): ${longTasks.join(', ') || 'none'}` });
  expect(maxHandlerMs, 'longest main-thread handler of an engine event (ms)').toBeLessThan(50);
  await expect(page.locator('#total')).toContainText('Total');
  // NEXTSCALE_SCREENSHOT=1 refreshes the README's screenshot; otherwise it goes to test-results/.
  const shot = process.env.NEXTSCALE_SCREENSHOT && device === 'auto' ? join(REPO, 'docs', 'screenshot-demo.png') : test.info().outputPath('screenshot-demo.png');
  await page.screenshot({ path: shot, fullPage: true });
});
}

test('a reload loads the model from IndexedDB with no weight request', async ({ page }) => {
  test.setTimeout(GEN_TIMEOUT * 2);
  requireModel();
  await page.goto('/');
  await waitState(page, ['ready']);
  const requests: string[] = [];
  let manifests = 0;
  const onRequest = (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('/manifest.json')) manifests++;
    else if (path.startsWith('/models/')) requests.push(path);
  };
  page.on('request', onRequest);
  await page.reload();
  await waitState(page, ['ready']);
  expect(manifests, 'the worker revalidates the manifest (proves its requests are seen here)').toBeGreaterThan(0);
  expect(requests, 'model files fetched again after a reload').toEqual([]);
  await expect(page.locator('#progress-text')).toContainText('from cache');
  await expect(page.locator('#cache-list tr')).toHaveCount(1);
});

test('cancelling mid-run, then generating again, works', async ({ page }) => {
  test.setTimeout(GEN_TIMEOUT * 2);
  requireModel();
  const cases = goldenCases();
  const c = cases[1] ?? cases[0];
  await page.goto('/');
  await waitState(page, ['ready']);
  await setOptions(page, c);
  // Cancel the moment the first preview lands, from inside the page (a round trip could be too slow).
  await page.evaluate(() => {
    const list = document.getElementById('scales')!;
    const mo = new MutationObserver(() => {
      if (list.children.length) (document.getElementById('cancel') as HTMLButtonElement).click(), mo.disconnect();
    });
    mo.observe(list, { childList: true });
  });
  await page.click('#generate');
  expect(await waitState(page, ['cancelled', 'done'])).toBe('cancelled');
  await expect(page.locator('#status')).toHaveText('Cancelled.');
  expect((await demo(page)).events.length).toBeLessThan(c.scales.length);
  await expect(page.locator('#generate')).toBeEnabled();
  await page.click('#generate');
  expect(await waitState(page, ['done', 'cancelled'])).toBe('done');
  expect((await demo(page)).result!.codes).toEqual(c.scales);
});

test('the prompt shows its tokens, the limit and unknown words as it is typed; the header says what the model is', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  await page.goto('/');
  await expect(page.locator('#model-about')).toContainText('parameter', { timeout: 240_000 });
  await page.fill('#prompt', 'a photorealistic astronaut riding a horse');
  await expect(page.locator('#prompt-info')).toContainText(/\d+ of 16 prompt tokens/);
  await expect(page.locator('#prompt-info')).toContainText(/not in the model's vocabulary: photorealistic, astronaut, riding$/);
  if (process.env.NEXTSCALE_SCREENSHOT) await page.screenshot({ path: join(REPO, 'docs', 'screenshot-demo-vocabulary.png') });
  await page.fill('#prompt', Array.from({ length: 20 }, () => 'red').join(' '));
  await expect(page.locator('#prompt-info')).toContainText('20 of 16 prompt tokens — too long');
  await expect(page.locator('#prompt-info')).toHaveClass(/over/);
  expect(await page.locator('#prompt').getAttribute('maxlength')).toBeNull();
});
