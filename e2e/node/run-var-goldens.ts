// A converted random-init VAR (tools/var_golden.py → e2e/goldens/var-tiny) against its PyTorch
// reference, in Node on Dawn (or on the CPU backend with --device wasm): greedy codes equal at every
// scale, CFG logits and f̂ within tolerance, the final image within a few levels; then the same from
// the .pth files as published. Usage: tsx e2e/node/run-var-goldens.ts [--device wasm] [goldenDir]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { InThreadEngine } from '../../src/engine/engine';
import { createFileFetch } from '../../src/cli/file-fetch';
import { join } from 'node:path';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { VarModel } from '../../src/models/var/model';
import { VarImageSteps } from '../../src/models/var/generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales, type ScaleOutput } from '../../src/engine/scale-driver';
import type { ByteSource } from '../../src/models/weights';
import { decodePng } from '../../src/cli/png';
import { IMAGE_MAX_DIFF, imageDiff } from '../goldens/compare';
import { compareVarCase, type VarGoldenCase } from '../goldens/var-compare';
import { localDirFetch, LOCAL_BASE } from './local-fetch';
import type { Backend } from '../../src/backends/backend';
import type { ImageSteps } from '../../src/models/family';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { WasmBackend } from '../../src/backends/wasm/backend';

const args = process.argv.slice(2);
const onWasm = args.includes('--device') && args[args.indexOf('--device') + 1] === 'wasm';
const goldenDir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--device') ?? 'e2e/goldens/var-tiny';
const index = JSON.parse(readFileSync(join(goldenDir, 'index.json'), 'utf8')) as { model: string; cases: Array<{ name: string; json: string; png: string }> };
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(join(goldenDir, index.model)), storage: null });
let passed = 0;
let failed = 0;
// One golden case's scales (codes, logits of the first rows, final f̂ and image) on the backend asked for.
type RunCase = (g: VarGoldenCase) => Promise<ScaleOutput[]>;
const collect = async <W, O>(backend: Backend<W, O>, steps: ImageSteps<W, O>) => {
  const outs: ScaleOutput[] = [];
  for await (const o of driveScales(backend, steps, { previews: false, captureLogits: 4 })) outs.push(o);
  steps.release();
  return outs;
};
let runCase: RunCase;
let done: () => void;
if (onWasm) {
  const rt = await wasmRuntime({});
  const m = await loadOnWasm(rt, { config: files.config as Record<string, unknown>, json: (p) => files.files.get(p)?.json(), files: files.files });
  const backend = new WasmBackend(rt);
  runCase = (g) => collect(backend, m.imageSteps({ classLabel: g.class, seed: g.seed }, { seed: g.seed, cfg: g.cfg, topK: g.top_k, topP: g.top_p, temperature: 1 }));
  done = () => m.destroy();
} else {
  const ctx = await createGpuContext({ gpu: await createNodeGpu() });
  const model = VarModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>([...files.files]) });
  runCase = (g) => collect(new WebGpuBackend(ctx), new VarImageSteps(ctx, model, g.class, { seed: g.seed, cfg: g.cfg, topK: g.top_k, topP: g.top_p, temperature: 1 }));
  done = () => {
    model.destroy();
    ctx.destroy();
  };
}
console.log(`device: ${onWasm ? 'wasm' : 'webgpu'}`);
for (const c of index.cases) {
  const g = JSON.parse(readFileSync(join(goldenDir, c.json), 'utf8')) as VarGoldenCase;
  const outs = await runCase(g);
  const problems = compareVarCase(g, outs);
  const want = decodePng(readFileSync(join(goldenDir, c.png)));
  const got = outs[outs.length - 1]?.rgba;
  if (!got) problems.push('no final image');
  else {
    const d = imageDiff(got, want.data);
    if (d.max > IMAGE_MAX_DIFF) problems.push(`final image differs by up to ${d.max}/255 (mean ${d.mean.toFixed(3)}), over ${IMAGE_MAX_DIFF}`);
  }
  console.log(`${problems.length ? 'FAIL' : 'ok  '} VAR golden ${c.name}${problems.length ? '\n     ' + problems.join('\n     ') : ''}`);
  problems.length ? failed++ : passed++;
}
done();

// The same model from its checkpoints as published (var_d2.pth + vae_ch160v4096z32.pth, written by torch.save),
// converted on the fly by the engine: the greedy codes of every case equal the goldens.
{
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-pth-'));
  execFileSync('/usr/bin/python3', ['tools/var_golden.py', '--pth', dir], { stdio: 'inherit' });
  const engine = new InThreadEngine({ gpu: onWasm ? undefined : await createNodeGpu(), storage: 'memory', fetch: createFileFetch(), device: onWasm ? 'wasm' : 'webgpu' });
  const phases = new Set<string>();
  const info = await engine.loadModel(pathToFileURL(join(dir, 'var_d2.pth')).href, { warmUp: false, checkpoint: { scales: [1, 2, 3, 4] }, onProgress: (p) => phases.add(p.phase) });
  for (const c of index.cases) {
    const g = JSON.parse(readFileSync(join(goldenDir, c.json), 'utf8')) as VarGoldenCase;
    const r = await engine.generateImage({ classLabel: g.class, seed: g.seed, cfg: g.cfg, topK: g.top_k, topP: g.top_p, previews: false });
    const ok = JSON.stringify(r.codes) === JSON.stringify(g.scales) && info.name === 'var-d2' && phases.has('convert') && phases.has('download');
    console.log(`${ok ? 'ok  ' : 'FAIL'} VAR from .pth as published, ${c.name}: greedy codes equal the golden (phases ${[...phases].join(', ')})`);
    ok ? passed++ : failed++;
  }
  const ran = info.device.backend === (onWasm ? 'wasm' : 'webgpu');
  console.log(`${ran ? 'ok  ' : 'FAIL'} the .pth model ran on ${info.device.backend} (${info.device.reason})`);
  ran ? passed++ : failed++;
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
