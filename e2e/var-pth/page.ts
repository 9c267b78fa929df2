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

(globalThis as unknown as { varPth: unknown }).varPth = { run };
document.getElementById('log')!.textContent = 'ready';
