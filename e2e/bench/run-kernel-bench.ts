/**
 * `npm run bench:kernels [filter]`: the kernel benchmark, in headless Chromium with WebGPU (on
 * SwiftShader where there is no GPU). It starts Vite, opens e2e/bench/index.html, runs every
 * benchmark, prints GFLOP/s per kernel and shape with the ratios to the naive shader and to
 * onnxruntime-web's MatMul measured in the same run, and the fraction of the ALU roofline
 * (fma_peak, also measured in this run). Results go to docs/bench/kernels.json.
 *
 * Adding a kernel's benchmark: create e2e/bench/<kernel>.bench.ts exporting
 *   export const benches: BenchEntry[] = [{ name, group, role?, flops, bytes?, setup }]
 * (types in ./bench.ts). `setup(ctx)` uploads inputs and returns { run(iters), destroy } —
 * dispatchRun() builds one from a function that records a single dispatch. Entries with the
 * same `group` (the shape) are compared: role 'naive' and 'ort' are the baselines for the
 * 'kernel' entries of their group. The page collects *.bench.ts with import.meta.glob, so no
 * shared file changes. A filter argument runs only entries whose "name group" contains it.
 */
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chromiumLaunch } from '../../playwright.config';
import type { BenchResult } from './bench';
import { execFileSync } from 'node:child_process';

const PORT = Number(process.env.NEXTSCALE_BENCH_PORT ?? 5198);
const filter = process.argv[2];
const url = `http://localhost:${PORT}/e2e/bench/index.html`;

// Vite through its API, with file watching and HMR off: other people edit this working tree while
// the benchmark runs, and a hot reload would wipe the page mid-run.
const server = await createServer({
  configFile: 'vite.config.ts',
  logLevel: 'warn',
  server: { port: PORT, strictPort: true, hmr: false, watch: { ignored: ['**/*'] } },
});
await server.listen();
const stopVite = () => void server.close();

const fmt = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

try {
  const browser = await chromium.launch(chromiumLaunch);
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && console.error(`[page] ${m.text()}`));
  await page.exposeFunction('__benchProgress', (line: string) => console.log(`  ${line}`));
  await page.goto(url);
  await page.waitForFunction(() => typeof window.__nextscaleBench === 'function', undefined, { timeout: 120_000 });
  page.setDefaultTimeout(0);
  const { adapter, results } = await page.evaluate((f) => window.__nextscaleBench(f), filter);
  const chromiumVersion = browser.version();
  await browser.close();

  const peak = Math.max(0, ...results.filter((r) => r.role === 'roofline' && Number.isFinite(r.gflops)).map((r) => r.gflops));
  const base = (r: BenchResult, role: 'naive' | 'ort') => results.find((b) => b.group === r.group && b.role === role)?.gflops;
  const rows = results.map((r) => {
    const naive = base(r, 'naive');
    const ort = base(r, 'ort');
    return {
      ...r,
      roofline: peak ? r.gflops / peak : undefined,
      vsNaive: r.role === 'kernel' && naive ? r.gflops / naive : undefined,
      vsOrt: r.role === 'kernel' && ort ? r.gflops / ort : undefined,
    };
  });

  const head = ['kernel', 'shape', 'ms', 'GFLOP/s', 'GB/s', '% roofline', '× naive', '× ort'];
  const table = rows.map((r) => [r.name, r.group, fmt(r.ms), fmt(r.gflops, 3), fmt(r.gbps), r.roofline === undefined ? '-' : (100 * r.roofline).toFixed(1), fmt(r.vsNaive, 1), fmt(r.vsOrt, 1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const t of table) console.log(line(t));
  for (const r of rows.filter((r) => r.error)) console.log(`ERROR ${r.name} ${r.group}: ${r.error}`);
  console.log(`\nALU roofline (fma_peak, this run): ${fmt(peak, 2)} GFLOP/s. Times are the best of the timed batches; medians are in the JSON.`);

  // A filtered run (a kernel name given) goes to .cache/bench/, never over the full results.
  const outDir = filter ? '.cache/bench' : 'docs/bench';
  mkdirSync(outDir, { recursive: true });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const ortVersion = JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version as string;
  const json = { date: new Date().toISOString(), commit, versions: { chromium: chromiumVersion, onnxruntimeWeb: ortVersion }, browser: 'chromium (headless)', adapter, filter: filter ?? null, rooflineGflops: peak, results: rows };
  writeFileSync(`${outDir}/kernels.json`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${outDir}/kernels.json`);
  await server.close();
  process.exit(rows.some((r) => r.error) ? 1 : 0);
} catch (e) {
  console.error(e);
  stopVite();
  process.exit(1);
}
