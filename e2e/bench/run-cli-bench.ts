/**
 * `npm run bench:cli`: the whole `nextscale generate` command, start to exit, with `--device wasm` against
 * `--device webgpu` and the same arguments: the bundled default model (3 runs each after one untimed run
 * that builds the CLI bundle), and a random-init depth-2 VAR with the full-size VAE (ch 160, ten scales,
 * 256²; tools/reference/var.py, converted once by `nextscale convert`), one run each. Writes
 * docs/bench/cli.json (`--only default` runs the first part and writes .cache/bench/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const dir = join('.cache', 'bench', 'cli');
mkdirSync(dir, { recursive: true });
const PY = '/usr/bin/python3';

function run(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['bin/nextscale.mjs', ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`nextscale ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return ms;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const results: Record<string, Record<string, number[]>> = {};
const defaultArgs = ['generate', '--prompt', 'a large red circle in the center on a blue background', '--seed', '0', '--out', join(dir, 'tiny.png'), '--quiet'];
run([...defaultArgs, '--device', 'wasm']); // builds the CLI bundle if the sources changed
results.default = { wasm: [], webgpu: [] };
for (let i = 0; i < 3; i++) for (const d of ['wasm', 'webgpu']) results.default[d].push(run([...defaultArgs, '--device', d]));
console.log(`default model: wasm ${mean(results.default.wasm).toFixed(0)} ms, webgpu ${mean(results.default.webgpu).toFixed(0)} ms → ${(mean(results.default.webgpu) / mean(results.default.wasm)).toFixed(1)}×`);

if (only !== 'default') {
  const model = join(dir, 'var-d2-ch160');
  if (!existsSync(join(model, 'manifest.json'))) {
    execFileSync(PY, ['tools/reference/var.py', '--depth', '2', '--out', join(dir, 'var_d2.pth'), '--vae-out', join(dir, 'vae_ch160v4096z32.pth')], { stdio: 'inherit' });
    run(['convert', '--var', join(dir, 'var_d2.pth'), '--vae', join(dir, 'vae_ch160v4096z32.pth'), '--out', model]);
  }
  const varArgs = ['generate', '--model', model, '--class', '207', '--seed', '0', '--out', join(dir, 'var.png'), '--quiet'];
  results.varD2 = { wasm: [run([...varArgs, '--device', 'wasm'])], webgpu: [run([...varArgs, '--device', 'webgpu'])] };
  console.log(`VAR d2 + VAE ch160 (256²): wasm ${mean(results.varD2.wasm).toFixed(0)} ms, webgpu ${mean(results.varD2.webgpu).toFixed(0)} ms → ${(mean(results.varD2.webgpu) / mean(results.varD2.wasm)).toFixed(1)}×`);
}
const out = only ? '.cache/bench/cli.json' : 'docs/bench/cli.json';
const summary = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { ...r, wasmMeanMs: mean(r.wasm), webgpuMeanMs: mean(r.webgpu), webgpuOverWasm: mean(r.webgpu) / mean(r.wasm) }]));
writeFileSync(out, JSON.stringify({
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  versions: { node: process.version, dawn: JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')).version, onnxruntimeWeb: JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version },
  what: 'wall time of `node bin/nextscale.mjs generate …`, process start to exit',
  ...summary,
}, null, 1) + '\n');
console.log(`wrote ${out}`);
