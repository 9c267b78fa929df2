// The official VAR checkpoints as published, in headless Chromium: var_d2.pth and vae_ch160v4096z32.pth
// (random-init, written by torch.save; tools/var_golden.py --pth) served over HTTP with Range, loaded by URL,
// converted in the worker and cached in IndexedDB. The greedy codes equal the PyTorch goldens; the second load
// comes from the cache without one request for a .pth file.
import { test, expect, type Route } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './goldens';

function serveWithRange(files: Map<string, Buffer>, log: string[]) {
  return async (route: Route) => {
    const url = new URL(route.request().url());
    const name = url.pathname.split('/').pop()!;
    log.push(name);
    const body = files.get(name);
    if (!body) return route.fulfill({ status: 404, body: 'no' });
    const m = /bytes=(\d+)-(\d+)/.exec(route.request().headers()['range'] ?? '');
    if (!m) return route.fulfill({ status: 200, body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) } });
    const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
    return route.fulfill({ status: 206, body: body.subarray(a, b + 1), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${a}-${b}/${body.length}` } });
  };
}

test('VAR from .pth as published: converted in the browser, codes equal the goldens, the second load never asks for a .pth', async ({ page, context }) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-pth-'));
  execFileSync('/usr/bin/python3', [join(REPO, 'tools', 'var_golden.py'), '--pth', dir]);
  const files = new Map(['var_d2.pth', 'vae_ch160v4096z32.pth'].map((f) => [f, readFileSync(join(dir, f))]));
  rmSync(dir, { recursive: true, force: true });
  const requests: string[] = [];
  await context.route('**/__checkpoints/**', serveWithRange(files, requests));
  const golden = JSON.parse(readFileSync(join(REPO, 'e2e', 'goldens', 'var-tiny', 'class207_cfg4.json'), 'utf8')) as { scales: number[][] };
  const run = async () => {
    await page.goto('/e2e/var-pth/index.html');
    await expect(page.locator('#log')).toHaveText('ready');
    return page.evaluate(() => (globalThis as unknown as { varPth: { run(u: string, c: number, g: number): Promise<{ name: string; cached: boolean; phases: string[]; codes: number[][] }> } }).varPth.run('/__checkpoints/var_d2.pth', 207, 4));
  };
  const first = await run();
  expect(first.name).toBe('var-d2');
  expect(first.phases).toContain('convert');
  expect(first.cached).toBe(true);
  expect(first.codes).toEqual(golden.scales);
  expect(requests.filter((r) => r.endsWith('.pth')).length, 'the first load reads the checkpoints').toBeGreaterThan(2);
  requests.length = 0;
  const second = await run();
  expect(second.codes).toEqual(golden.scales);
  expect(second.phases).not.toContain('convert');
  expect(requests, 'no request for a .pth on the second load').toEqual([]);
  // Picked or dropped files (no URL): the VAE is found among them by its name.
  const picked = await page.evaluate(() => (globalThis as unknown as { varPth: { runPicked(u: string[], c: number, g: number): Promise<{ name: string; codes: number[][] }> } }).varPth.runPicked(['/__checkpoints/var_d2.pth', '/__checkpoints/vae_ch160v4096z32.pth'], 207, 4));
  expect(picked).toEqual({ name: 'var-d2', codes: golden.scales });
});
