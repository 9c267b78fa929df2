// Infinity's official checkpoints as published (random-init, tools/infinity_golden.py), in headless Chromium:
// served over HTTP with Range, loaded by URL, converted in the worker and cached in IndexedDB; `auto` runs
// them on the CPU backend. Greedy bits equal the PyTorch reference's (off near ties) for the 1:1 and 1:2
// schedules; seeded top-p sampling gives the same bits as Node; the second load never asks for a .pth; the
// same files picked as File objects load too.
import { test, expect, type Route } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './goldens';
import { compareGreedy, readInfinityGolden, type InfinityGoldenIndex } from './goldens/infinity-compare';
import { InThreadEngine } from '../src/engine/engine';
import { createFileFetch } from '../src/cli/file-fetch';
import { parseSafetensors, tensorToF32 } from '../src/formats/safetensors';

const DIR = join(REPO, 'e2e', 'goldens', 'infinity-tiny');
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as InfinityGoldenIndex;

function serve(log: string[]) {
  return async (route: Route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    log.push(name);
    let body: Buffer;
    try {
      body = readFileSync(join(DIR, name));
    } catch {
      return route.fulfill({ status: 404, body: 'no' });
    }
    const m = /bytes=(\d+)-(\d+)/.exec(route.request().headers()['range'] ?? '');
    if (!m) return route.fulfill({ status: 200, body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) } });
    const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
    return route.fulfill({ status: 206, body: body.subarray(a, b + 1), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${a}-${b}/${body.length}` } });
  };
}

/** Node's bits for the same seeded top-p request (the CPU backend in this process). */
async function nodeSampled(): Promise<number[][]> {
  const engine = new InThreadEngine({ storage: 'memory', fetch: createFileFetch(), device: 'wasm' });
  const url = (f: string) => pathToFileURL(join(DIR, f)).href;
  await engine.loadModel(url(index.model), { warmUp: false, checkpoint: { vae: url(index.vae) } });
  const bytes = new Uint8Array(readFileSync(join(DIR, index.features)));
  const t = parseSafetensors('features', bytes).tensors.get('features')!;
  const textFeatures = { data: tensorToF32(bytes.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 }), shape: [t.shape[0], t.shape[1]] as [number, number] };
  const r = await engine.generateImage({ textFeatures, seed: 7, cfg: 3, temperature: 0.5, topK: 0, topP: 0.97, previews: false });
  await engine.dispose();
  return r.codes;
}

type Result = { name: string; family: string; device: string; cached: boolean; phases: string[]; greedy: number[][]; sampled: number[][]; size: number[] };

test('Infinity from .pth as published, in the browser: greedy bits equal the reference, seeded sampling equals Node, cached, picked files', async ({ page, context }) => {
  test.setTimeout(300_000);
  const requests: string[] = [];
  await context.route('**/__infinity/**', serve(requests));
  const sampledInNode = await nodeSampled();
  for (const c of index.cases.filter((x) => x.cfg !== 1)) {
    await page.goto('/e2e/infinity/index.html');
    await expect(page.locator('#log')).toHaveText('ready');
    requests.length = 0;
    const r = await page.evaluate(([m, v, f, cs]) => (globalThis as unknown as { infinity: { run(m: string, v: string, f: string, c: unknown): Promise<Result> } }).infinity.run(m, v, f, cs),
      [`/__infinity/${index.model}`, `/__infinity/${index.vae}`, `/__infinity/${index.features}`, { cfg: c.cfg, tau: c.tau, aspect: c.h_div_w }] as const);
    expect([r.family, r.device]).toEqual(['infinity', 'wasm']);
    const g = readInfinityGolden(c, new Uint8Array(readFileSync(join(DIR, c.tensors))), 32);
    const cmp = compareGreedy(g, r.greedy, 32);
    expect(cmp.problems, `greedy bits of ${c.name}`).toEqual([]);
    const [h, w] = c.scales[c.scales.length - 1];
    expect(r.size).toEqual([16 * w, 16 * h]);
    expect(r.sampled, 'seeded top-p bits equal Node\'s').toEqual(sampledInNode);
    if (c === index.cases[0]) {
      expect(r.phases).toContain('convert');
      expect(requests.filter((x) => x.endsWith('.pth')).length).toBeGreaterThan(2);
    } else {
      expect(r.phases, 'the second load comes from IndexedDB').not.toContain('convert');
      expect(requests.filter((x) => x.endsWith('.pth')), 'no request for a .pth on the second load').toEqual([]);
    }
  }
  const picked = await page.evaluate(([urls, f]) => (globalThis as unknown as { infinity: { runPicked(u: string[], f: string, c: unknown): Promise<Result> } }).infinity.runPicked(urls, f, { cfg: 3, tau: 0.5, aspect: 1 }),
    [[`/__infinity/${index.model}`, `/__infinity/${index.vae}`], `/__infinity/${index.features}`] as [string[], string]);
  expect(picked.name).toBe('infinity-d2-c64');
  expect(picked.sampled).toEqual(sampledInNode);
  // The library's API: loadModel(url, { vae }), generateImage({ model, vae, textFeatures }).
  const lib = await page.evaluate(([m, v, f]) => (globalThis as unknown as { infinity: { runLibrary(m: string, v: string, f: string): Promise<{ name: string; codes: number[][]; size: number[] }> } }).infinity.runLibrary(m, v, f),
    [`/__infinity/${index.model}`, `/__infinity/${index.vae}`, `/__infinity/${index.features}`] as const);
  const c0 = index.cases[0];
  expect(compareGreedy(readInfinityGolden(c0, new Uint8Array(readFileSync(join(DIR, c0.tensors))), 32), lib.codes, 32).problems).toEqual([]);
  expect(lib.size).toEqual([256, 256]);
});

test('Infinity on WebGPU in the browser (device: webgpu, the kernels on SwiftShader): greedy bits equal the reference', async ({ page, context }) => {
  test.setTimeout(300_000);
  await context.route('**/__infinity/**', serve([]));
  await page.goto('/e2e/infinity/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const c = index.cases[0];
  const r = await page.evaluate(([m, v, f, cs]) => (globalThis as unknown as { infinity: { run(m: string, v: string, f: string, c: unknown, d: string): Promise<Result> } }).infinity.run(m, v, f, cs, 'webgpu'),
    [`/__infinity/${index.model}`, `/__infinity/${index.vae}`, `/__infinity/${index.features}`, { cfg: c.cfg, tau: c.tau, aspect: c.h_div_w }] as const);
  expect([r.family, r.device]).toEqual(['infinity', 'webgpu']);
  const cmp = compareGreedy(readInfinityGolden(c, new Uint8Array(readFileSync(join(DIR, c.tensors))), 32), r.greedy, 32);
  expect(cmp.problems, `greedy bits of ${c.name} on WebGPU`).toEqual([]);
});
