// A random-init VAR (depth 2, official key layout) converted by tools/convert_var.py, reproduced in
// headless Chromium: greedy codes equal at every scale, CFG logits and f̂ within tolerance, and the
// final image within a few levels of the PyTorch reference (tools/var_golden.py).
import { test, expect } from '@playwright/test';

test('VAR goldens: the converted depth-2 model matches the PyTorch reference in the browser', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/e2e/var-goldens/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const results = await page.evaluate((dir) => window.__nextscaleVarGoldens(dir), 'e2e/goldens/var-tiny');
  expect(results.map((r) => r.name)).toEqual(['class207_cfg4', 'class1_cfg1p5']);
  for (const r of results) expect(r.problems, r.name).toEqual([]);
});
