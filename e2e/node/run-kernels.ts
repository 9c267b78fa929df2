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
// The folded 2-D dispatch: a device that allows few workgroups per dimension makes every kernel that
// folds its 1-D grid (fold1D) take the (x, y) path, which a real GPU's 65535 never reaches at these sizes.
// These suites' shapes need more than 64 workgroups (checked: breaking fold1D's y fails each of them).
const FOLDING = ['elementwise', 'rmsnorm', 'layernorm', 'rope', 'upsample_nearest'];
const realMax = ctx.limits.maxComputeWorkgroupsPerDimension;
ctx.limits.maxComputeWorkgroupsPerDimension = 64;
for (const s of suites) {
  if (!FOLDING.includes(s.name) || (only.length && !only.includes(s.name))) continue;
  for (const r of await runSuite(ctx, s, seed)) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${s.name} ${r.case} [maxComputeWorkgroupsPerDimension 64] (${r.ms.toFixed(0)} ms)${r.error ? `\n     ${r.error}` : ''}`);
    r.ok ? passed++ : failed++;
  }
}
ctx.limits.maxComputeWorkgroupsPerDimension = realMax;
console.log(`${passed} passed, ${failed} failed`);
ctx.destroy();
process.exit(failed ? 1 : 0);
