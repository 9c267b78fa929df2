// Every kernel suite, at random shapes, in headless Chromium with WebGPU, against its CPU reference.
import { test, expect } from '@playwright/test';
import { readdirSync } from 'node:fs';

// playwright.config.ts sets SEED once per run when it is not given.
const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const suiteNames = readdirSync(new URL('./kernels/', import.meta.url))
  .filter((f) => f.endsWith('.suite.ts'))
  .map((f) => f.replace(/\.suite\.ts$/, ''));

test.describe('kernels (browser WebGPU)', () => {
  test.beforeAll(() => console.log(`kernel test seed: ${seed} (rerun with SEED=${seed})`));
  for (const name of suiteNames) {
    test(name, async ({ page }) => {
      page.on('console', (m) => m.type() === 'error' && console.log(`[page] ${m.text()}`));
      await page.goto('/e2e/kernels/index.html');
      await page.waitForFunction(() => typeof window.__nextscaleRunSuite === 'function');
      const results = await page.evaluate(([n, s]) => window.__nextscaleRunSuite(n as string, s as number, undefined), [name, seed] as const);
      const failed = results.filter((r) => !r.ok);
      for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name} ${r.case} (${r.ms.toFixed(0)} ms)${r.error ? `\n     ${r.error}\n     (seed ${seed}: rerun with SEED=${seed})` : ''}`);
      expect(results.length, 'suite produced no cases').toBeGreaterThan(0);
      expect(failed.map((r) => `${r.case}: ${r.error}`), `seed ${seed}`).toEqual([]);
    });
  }
});
