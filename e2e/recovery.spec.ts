// Recovery in headless Chromium with the bundled model: the GPU process crashed (Chromium's
// crashGpuProcess, a real device loss: reason "unknown") while generating and while idle, and the
// engine's worker killed by an uncaught error mid-generation. The request in flight fails with its
// typed error; the next one runs on a new device (or worker), reloads the model from memory or the
// cache, and draws the same codes as before. The demo page says the GPU was reset. Pinned to WebGPU.
// Chromium blocks a site's 3D APIs after GPU crashes it seems to cause, and turns the GPU off after three
// crashes; two flags keep those policies out of a test that crashes the GPU on purpose.
import { test, expect } from '@playwright/test';
import { chromiumLaunch } from '../playwright.config';
import { requireModel } from './goldens';

test.use({ launchOptions: { ...chromiumLaunch, args: [...chromiumLaunch.args, '--enable-gpu-benchmarking', '--disable-domain-blocking-for-3d-apis', '--disable-gpu-process-crash-limit'] } });
test.describe.configure({ mode: 'serial' });

type Recovery = Record<'deviceLoss' | 'workerCrash', () => Promise<Record<string, any>>>;
const call = (page: import('@playwright/test').Page, name: keyof Recovery) =>
  page.evaluate((n) => (globalThis as unknown as { recovery: Recovery }).recovery[n](), name);

test('a lost GPU device: the generation in flight fails with E_DEVICE_LOST, the next ones reload and match', async ({ page }) => {
  test.setTimeout(240_000);
  requireModel();
  await page.goto('/e2e/recovery/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const r = await call(page, 'deviceLoss');
  expect(r.midError?.code, JSON.stringify(r.midError)).toBe('E_DEVICE_LOST');
  expect(r.afterMid).toEqual({ same: true, deviceReset: true });
  expect(r.afterIdle).toEqual({ same: true, deviceReset: true });
});

test('a crashed engine worker: the request in flight fails with E_WORKER, the next one runs in a new worker', async ({ page }) => {
  test.setTimeout(240_000);
  requireModel();
  await page.goto('/e2e/recovery/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const r = await call(page, 'workerCrash');
  expect(r.midError?.code, JSON.stringify(r.midError)).toBe('E_WORKER');
  expect(r.spawned).toBe(1);
  expect(r.same).toBe(true);
});

test('the demo page after a GPU reset: the next Generate reloads the model and says so', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  await page.goto('/?device=webgpu');
  await expect(page.locator('body')).toHaveAttribute('data-state', /ready|done/, { timeout: 240_000 });
  await page.click('#generate');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await page.evaluate(() => (globalThis as unknown as { chrome: { gpuBenchmarking: { crashGpuProcess(): void } } }).chrome.gpuBenchmarking.crashGpuProcess());
  await page.waitForTimeout(500);
  await page.click('#generate');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#status')).toHaveText('Done. The GPU was reset; the model was reloaded.');
});
