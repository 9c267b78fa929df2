// Browser side of e2e/var-pth.spec.ts: load an official-layout VAR checkpoint (.pth URL) in the worker engine
// with the IndexedDB cache, generate greedily, and report the codes and the load phases.
import { createEngine } from '../../src/worker';

async function run(url: string, classLabel: number, cfg: number) {
  const engine = await createEngine();
  const phases: string[] = [];
  const info = await engine.loadModel(url, { warmUp: false, checkpoint: { scales: [1, 2, 3, 4] }, onProgress: (p) => phases.includes(p.phase) || phases.push(p.phase) });
  const r = await engine.generateImage({ classLabel, seed: 0, cfg, topK: 1, topP: 0, previews: false });
  await engine.dispose();
  return { name: info.name, cached: info.cached, phases, codes: r.codes };
}

/** The same two files as the user would pick or drop them (File objects), loaded with no URL at all. */
async function runPicked(urls: string[], classLabel: number, cfg: number) {
  const files = await Promise.all(urls.map(async (u) => new File([await (await fetch(u)).blob()], u.split('/').pop()!)));
  const engine = await createEngine();
  const info = await engine.loadModel('picked checkpoints', { files, warmUp: false, checkpoint: { scales: [1, 2, 3, 4] } });
  const r = await engine.generateImage({ classLabel, seed: 0, cfg, topK: 1, topP: 0, previews: false });
  await engine.dispose();
  return { name: info.name, codes: r.codes };
}

(globalThis as unknown as { varPth: unknown }).varPth = { run, runPicked };
document.getElementById('log')!.textContent = 'ready';
