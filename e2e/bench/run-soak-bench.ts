/**
 * `npm run bench:soak [n]`: n generations (default 100) of the default model in one engine, in Node on
 * Dawn (SwiftShader without a GPU), recording engine.memory() after each: the working buffers in use,
 * their peak and the free ones kept for reuse must stay flat (CI runs 30 of these in test:engine; this
 * is the long run). Writes docs/bench/soak.json with the commit and the date.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { InThreadEngine } from '../../src/engine/engine';
import { localDirFetch, LOCAL_BASE } from '../node/local-fetch';

const MODEL = 'models/nextscale-tiny';
const n = Number(process.argv[2] ?? 100);
const engine = new InThreadEngine({ gpu: await createNodeGpu(), storage: 'memory', fetch: localDirFetch(MODEL) });
await engine.loadModel(LOCAL_BASE);
const rows: Array<{ i: number; ms: number; live: number; peak: number; free: number }> = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  await engine.generateImage({ prompt: 'a large red circle in the center on a blue background', seed: i });
  const m = await engine.memory();
  rows.push({ i, ms: performance.now() - t0, live: m.poolLiveBytes, peak: m.poolPeakBytes, free: m.poolFreeBytes });
  if ((i + 1) % 10 === 0) console.log(`${i + 1}/${n}: ${rows[i].ms.toFixed(0)} ms, live ${m.poolLiveBytes} B, peak ${m.poolPeakBytes} B, free ${m.poolFreeBytes} B`);
}
const weightsBytes = (await engine.memory()).weightsBytes;
await engine.dispose();
const after5 = rows.slice(5);
const flat = after5.every((r) => r.live === after5[0].live && r.peak === after5[0].peak && r.free === after5[0].free);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dawn = JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')).version as string;
const summary = { generations: n, flatAfter5: flat, weightsBytes, first: rows[0], last: rows[n - 1], meanMs: rows.reduce((a, r) => a + r.ms, 0) / n };
console.log(JSON.stringify(summary));
mkdirSync('docs/bench', { recursive: true });
writeFileSync('docs/bench/soak.json', `${JSON.stringify({ date: new Date().toISOString(), commit, runtime: `node ${process.version}, dawn (npm webgpu ${dawn})`, model: MODEL, summary, rows }, null, 1)}\n`);
if (!flat) process.exit(1);
