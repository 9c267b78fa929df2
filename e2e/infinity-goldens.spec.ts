// Infinity's teacher-forced parity in headless Chromium, on WebGPU (SwiftShader here) and on the CPU backend: the
// official-layout .pth files converted in the page, the reference's bits fed back at every scale, and the logits
// (≤ 1e-4 relative), next-scale inputs and f̂ (≤ 1e-5) and decoded image (≤ 1e-3) compared with tools/reference/infinity.py.
import { test, expect } from '@playwright/test';

test('Infinity goldens, teacher-forced, in the browser on WebGPU and wasm', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/e2e/infinity-goldens/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const results = await page.evaluate((dir) => window.__nextscaleInfinityGoldens(dir), 'e2e/goldens/infinity-tiny');
  expect(results.map((r) => `${r.device} ${r.name}`)).toEqual(['webgpu', 'wasm'].flatMap((d) => ['greedy_cfg3', 'greedy_cfg1', 'greedy_h1w2_cfg4'].map((n) => `${d} ${n}`)));
  for (const r of results) {
    test.info().annotations.push({ type: `${r.device} ${r.name}`, description: JSON.stringify(r.worst) });
    expect(r.problems, `${r.device} ${r.name}`).toEqual([]);
  }
});
