/// <reference types="vite/client" />
// Browser side of the kernel benchmark: run-kernel-bench.ts calls window.__nextscaleBench(filter).
// Every e2e/bench/*.bench.ts is collected here by Vite, so a new kernel's benchmark is one new file.
import { createGpuContext } from '../../src/gpu/device';
import { timeBench, type BenchEntry, type BenchResult } from './bench';

const modules = import.meta.glob<{ benches: BenchEntry[] }>('./*.bench.ts', { eager: true });
const all: BenchEntry[] = Object.keys(modules)
  .sort((a, b) => Number(b.includes('roofline')) - Number(a.includes('roofline')) || a.localeCompare(b))
  .flatMap((k) => modules[k].benches);

declare global {
  interface Window {
    __nextscaleBench(filter?: string, onProgress?: boolean): Promise<{ adapter: unknown; results: BenchResult[] }>;
    __nextscaleBenchNames: string[];
    __benchProgress(line: string): void;
  }
}

const log = (line: string) => {
  document.getElementById('log')!.textContent += `\n${line}`;
  window.__benchProgress?.(line);
};

window.__nextscaleBenchNames = all.map((e) => `${e.name} ${e.group}`);
window.__nextscaleBench = async (filter) => {
  const ctx = await createGpuContext();
  const results: BenchResult[] = [];
  for (const e of all) {
    const role = e.role ?? 'kernel';
    if (filter && role !== 'roofline' && !`${e.name} ${e.group}`.includes(filter)) continue;
    let r: Awaited<ReturnType<BenchEntry['setup']>> | undefined;
    try {
      r = await e.setup(ctx);
      const t = await timeBench(r, { targetMs: 400, batches: 3, maxBatch: 64 });
      const res: BenchResult = { name: e.name, group: e.group, role, ...t, gflops: e.flops / t.ms / 1e6 };
      if (e.bytes) res.gbps = e.bytes / t.ms / 1e6;
      results.push(res);
      log(`${e.name} ${e.group}: ${t.ms.toFixed(2)} ms, ${res.gflops.toFixed(3)} GFLOP/s`);
    } catch (err) {
      results.push({ name: e.name, group: e.group, role, ms: NaN, medianMs: NaN, gflops: NaN, batch: 0, batches: 0, error: String(err) });
      log(`${e.name} ${e.group}: ERROR ${String(err)}`);
    } finally {
      r?.destroy();
    }
  }
  const adapter = { info: ctx.adapterInfo, features: ctx.features };
  ctx.destroy();
  return { adapter, results };
};
document.getElementById('log')!.textContent = `ready: ${all.length} benchmarks`;
