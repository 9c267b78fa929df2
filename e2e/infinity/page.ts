// Browser side of e2e/infinity.spec.ts: load the official-layout Infinity checkpoints (.pth URLs, or the same
// files picked) in the worker engine with the IndexedDB cache, then generate from text features: greedily,
// and with seeded top-p sampling. Reports the codes, the load phases and the device.
import { createEngine } from '../../src/worker';
import { generateImage, loadModel } from '../../src/index';
import { parseSafetensors, tensorToF32 } from '../../src/formats/safetensors';

interface Case { cfg: number; tau: number; aspect: number }

async function features(url: string) {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const t = parseSafetensors('features', bytes).tensors.get('features')!;
  return { data: tensorToF32(bytes.subarray(t.begin, t.begin + t.bytes), { ...t, begin: 0 }), shape: [t.shape[0], t.shape[1]] as [number, number] };
}

async function generate(engine: Awaited<ReturnType<typeof createEngine>>, featuresUrl: string, c: Case, sample = true) {
  const textFeatures = await features(featuresUrl);
  const greedy = await engine.generateImage({ textFeatures, seed: 0, cfg: c.cfg, temperature: c.tau, topK: 1, topP: 0, aspect: c.aspect, previews: false });
  const sampled = sample ? await engine.generateImage({ textFeatures, seed: 7, cfg: 3, temperature: 0.5, topK: 0, topP: 0.97, previews: false }) : undefined;
  return { greedy: greedy.codes, sampled: sampled?.codes, size: [greedy.image.width, greedy.image.height] };
}

async function run(model: string, vae: string, featuresUrl: string, c: Case, device?: 'webgpu' | 'wasm') {
  const engine = await createEngine(device ? { device } : undefined);
  const phases: string[] = [];
  const info = await engine.loadModel(model, { warmUp: false, checkpoint: { vae }, onProgress: (p) => phases.includes(p.phase) || phases.push(p.phase) });
  const out = await generate(engine, featuresUrl, c, device !== 'webgpu');
  await engine.dispose();
  return { name: info.name, family: info.family, device: info.device.backend, cached: info.cached, phases, ...out };
}

/** The two files as the user would pick or drop them (File objects): the VAE is found among them by its name. */
async function runPicked(urls: string[], featuresUrl: string, c: Case) {
  const files = await Promise.all(urls.map(async (u) => new File([await (await fetch(u)).blob()], u.split('/').pop()!)));
  const engine = await createEngine();
  const info = await engine.loadModel('picked checkpoints', { files, warmUp: false });
  const out = await generate(engine, featuresUrl, c);
  await engine.dispose();
  return { name: info.name, ...out };
}

/** The library's one-call API: loadModel(url, { vae }) then generateImage({ model, vae, textFeatures }). */
async function runLibrary(model: string, vae: string, featuresUrl: string) {
  const info = await loadModel(model, { vae });
  const r = await generateImage({ model, vae, textFeatures: await features(featuresUrl), seed: 0, topK: 1, topP: 0, previews: false }).result;
  return { name: info.name, device: info.device.backend, codes: r.codes, size: [r.image.width, r.image.height] };
}

(globalThis as unknown as { infinity: unknown }).infinity = { run, runPicked, runLibrary };
document.getElementById('log')!.textContent = 'ready';
