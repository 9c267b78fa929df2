// The demo with an Infinity model: the official-layout .pth files (random-init, tools/infinity_golden.py) picked
// in the "Other model" panel (the VAE found among them by its name), converted and cached; the page asks for
// the prompt's text features (a .safetensors file) instead of a prompt, and the greedy bits equal the PyTorch
// reference's. NEXTSCALE_SCREENSHOT=1 refreshes docs/screenshot-infinity.png.
import { test, expect, type Page } from '@playwright/test';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './goldens';
import { compareGreedy, readInfinityGolden, type InfinityGoldenIndex } from './goldens/infinity-compare';

const DIR = join(REPO, 'e2e', 'goldens', 'infinity-tiny');
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as InfinityGoldenIndex;

async function waitState(page: Page, states: string[]): Promise<void> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), [...states, 'error'], { timeout: 240_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') throw new Error(`the page shows an error: ${await page.locator('#error').textContent()}`);
}

test('an Infinity model from picked .pth files: text features instead of a prompt, the reference bits', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await waitState(page, ['ready']);
  await page.click('#model-picker summary');
  // A folder holding the two files as downloaded (the VAE is told by its name).
  const picked = mkdtempSync(join(tmpdir(), 'nextscale-infinity-'));
  for (const f of [index.model, index.vae]) copyFileSync(join(DIR, f), join(picked, f));
  await page.setInputFiles('#model-folder', picked);
  await page.waitForFunction(() => (globalThis as unknown as { nextscaleDemo: { info?: { family: string } } }).nextscaleDemo.info?.family === 'infinity' || document.body.dataset.state === 'error', undefined, { timeout: 240_000 });
  await waitState(page, ['ready']);
  await expect(page.locator('#features-field')).toBeVisible();
  await expect(page.locator('#prompt-field')).toBeHidden();
  await expect(page.locator('#model-name')).toContainText('infinity-d2-c64');
  // Without features: a typed error that says what to pick, and the model stays loaded.
  await page.click('#generate');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  await expect(page.locator('#error')).toContainText('text features');
  const c = index.cases[0];
  await page.setInputFiles('#text-features', join(DIR, index.features));
  await page.fill('#seed', '0');
  await page.fill('#cfg', String(c.cfg));
  await page.fill('#top-k', '1');
  await page.fill('#top-p', '0');
  await page.click('#generate');
  // The page is still in the error state of the first attempt until this run starts.
  await page.waitForFunction(() => document.body.dataset.state !== 'error');
  await waitState(page, ['done']);
  await expect(page.locator('#scales li')).toHaveCount(c.scales.length);
  await expect(page.locator('#caption')).toContainText('text features [7×256]');
  const codes = await page.evaluate(() => (globalThis as unknown as { nextscaleDemo: { result: { codes: number[][] } } }).nextscaleDemo.result.codes);
  // The demo's temperature is the model's τ (0.5): greedy through top-k 1.
  const cmp = compareGreedy(readInfinityGolden(c, new Uint8Array(readFileSync(join(DIR, c.tensors))), 32), codes, 32);
  expect(cmp.problems).toEqual([]);
  const shot = process.env.NEXTSCALE_SCREENSHOT ? join(REPO, 'docs', 'screenshot-infinity.png') : test.info().outputPath('screenshot-infinity.png');
  await page.screenshot({ path: shot, fullPage: true });
  rmSync(picked, { recursive: true, force: true });
});
