/**
 * `npm run bench:var-pth [depth=16]`: loading a full-size VAR from its checkpoints as published (random-init
 * var_d16.pth + vae_ch160v4096z32.pth from tools/reference/var.py, 1.2 GB + 0.4 GB of f32) served by a local
 * HTTP server with Range: download, convert (f16) and upload to the GPU through engine.loadModel, against
 * loading the folder tools/convert_var.py wrote from the same files. Reports seconds and the process's peak
 * RSS for each (each in its own process, so one's memory does not count in the other's), in Node on Dawn.
 * Writes docs/bench/var-d16-pth-load.json (also run by `npm run bench:var`).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { InThreadEngine } from '../../src/engine/engine';
import { localDirFetch, LOCAL_BASE } from '../node/local-fetch';

const depth = Number(process.argv[2] ?? 16);
const child = process.argv[3]; // 'pth' or 'folder': measure that one load in this process
const dir = join('.cache', 'bench', `var-d${depth}`);
const PY = '/usr/bin/python3';
if (!child && !existsSync(join(dir, `var_d${depth}.pth`))) {
  mkdirSync(dir, { recursive: true });
  execFileSync(PY, ['tools/reference/var.py', '--depth', String(depth), '--out', join(dir, `var_d${depth}.pth`), '--vae-out', join(dir, 'vae_ch160v4096z32.pth')], { stdio: 'inherit' });
}
if (!child && !existsSync(join(dir, 'model', 'manifest.json'))) {
  execFileSync(PY, ['tools/convert_var.py', '--var', join(dir, `var_d${depth}.pth`), '--vae', join(dir, 'vae_ch160v4096z32.pth'), '--out', join(dir, 'model'), '--dtype', 'f16'], { stdio: 'inherit' });
}
// A plain static server with Range, like any CDN or `npx serve`.
const server = createServer((req, res) => {
  const path = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
  if (!existsSync(path)) return res.writeHead(404).end();
  const size = statSync(path).size;
  const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
    return createReadStream(path).pipe(res);
  }
  const [a, b] = [Number(m[1]), m[2] ? Math.min(Number(m[2]), size - 1) : size - 1];
  res.writeHead(206, { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a}-${b}/${size}`, 'Content-Type': 'application/octet-stream' });
  createReadStream(path, { start: a, end: b }).pipe(res);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/var_d${depth}.pth`;

async function measure(what: 'pth' | 'folder') {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const engine = new InThreadEngine({ gpu: await createNodeGpu(), storage: 'memory', fetch: what === 'folder' ? localDirFetch(join(dir, 'model')) : undefined });
  const t0 = performance.now();
  await engine.loadModel(what === 'pth' ? url : LOCAL_BASE, { warmUp: false });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const mem = await engine.memory();
  await engine.dispose();
  return { seconds, rssPeakMiB: Math.round(peak / 2 ** 20), rssBeforeMiB: Math.round(base / 2 ** 20), gpuWeightsMiB: Math.round(mem.weightsBytes / 2 ** 20) };
}

if (child) {
  console.log(JSON.stringify(await measure(child as 'pth' | 'folder')));
  server.close();
  process.exit(0);
}
const run = (mode: string) => JSON.parse(execFileSync('npx', ['tsx', 'e2e/bench/run-var-pth-load.ts', String(depth), mode], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } }).trim().split('\n').pop()!);
server.close();
const pthBytes = statSync(join(dir, `var_d${depth}.pth`)).size + statSync(join(dir, 'vae_ch160v4096z32.pth')).size;
const fromPth = run('pth');
console.log(`.pth as published (${(pthBytes / 2 ** 20).toFixed(0)} MiB over HTTP Range, converted to f16, uploaded): ${fromPth.seconds.toFixed(1)} s, process RSS peak ${fromPth.rssPeakMiB} MiB`);
const fromFolder = run('folder');
console.log(`the converted folder: ${fromFolder.seconds.toFixed(1)} s, process RSS peak ${fromFolder.rssPeakMiB} MiB`);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
mkdirSync('docs/bench', { recursive: true });
writeFileSync(`docs/bench/var-d${depth}-pth-load.json`, JSON.stringify({ date: new Date().toISOString(), commit, runtime: `node ${process.version}, dawn (SwiftShader here)`, depth, pthBytes, fromPth, fromFolder }, null, 1) + '\n');
process.exit(0);
