// The same kernel suites in Node, on Dawn through the npm package "webgpu".
// Usage: tsx e2e/node/run-kernels.ts [suite ...]   (SEED=<n> to reproduce)
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { runSuite } from '../kernels/harness';
import { suites } from '../kernels/suites.gen';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const only = process.argv.slice(2);
const ctx = await createGpuContext({ gpu: await createNodeGpu() });
console.log(`adapter: ${ctx.adapterInfo.vendor} ${ctx.adapterInfo.description || ctx.adapterInfo.device}; seed ${seed}`);
let passed = 0;
let failed = 0;
for (const s of suites) {
  if (only.length && !only.includes(s.name)) continue;
  for (const r of await runSuite(ctx, s, seed)) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${s.name} ${r.case} (${r.ms.toFixed(0)} ms)${r.error ? `\n     ${r.error}` : ''}`);
    r.ok ? passed++ : failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
ctx.destroy();
process.exit(failed ? 1 : 0);
