// The converted VAR's goldens in the browser (e2e/var-goldens.spec.ts calls window.__nextscaleVarGoldens):
// the depth-2 random-init model made by tools/var_golden.py, loaded through the store like any model
// folder, generated greedily on this page's WebGPU device and compared with the PyTorch reference.
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { VarModel } from '../../src/models/var/model';
import { VarImageSteps } from '../../src/models/var/generator';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales, type ScaleOutput } from '../../src/engine/scale-driver';
import type { ByteSource } from '../../src/models/weights';
import { pngPixels } from '../goldens/browser-png';
import { IMAGE_MAX_DIFF, imageDiff } from '../goldens/compare';
import { compareVarCase, type VarGoldenCase } from '../goldens/var-compare';

declare global {
  interface Window {
    __nextscaleVarGoldens(dir: string): Promise<Array<{ name: string; problems: string[] }>>;
  }
}

window.__nextscaleVarGoldens = async (dir) => {
  const index = (await (await fetch(`/${dir}/index.json`)).json()) as { model: string; cases: Array<{ name: string; json: string; png: string }> };
  const ctx = await createGpuContext();
  const files = await loadModelFiles(`/${dir}/${index.model}/`, { storage: null });
  const model = VarModel.load(ctx, { config: files.config, weights: new Map<string, ByteSource>([...files.files]) });
  const out = [];
  try {
    for (const c of index.cases) {
      const g = (await (await fetch(`/${dir}/${c.json}`)).json()) as VarGoldenCase;
      const outs: ScaleOutput[] = [];
      const steps = new VarImageSteps(ctx, model, g.class, { seed: g.seed, cfg: g.cfg, topK: g.top_k, topP: g.top_p, temperature: 1 });
      for await (const o of driveScales(new WebGpuBackend(ctx), steps, { previews: false, captureLogits: 4 })) outs.push(o);
      steps.release();
      const problems = compareVarCase(g, outs);
      const got = outs[outs.length - 1]?.rgba;
      if (!got) problems.push('no final image');
      else {
        const d = imageDiff(got, (await pngPixels(`/${dir}/${c.png}`)).data);
        if (d.max > IMAGE_MAX_DIFF) problems.push(`final image differs by up to ${d.max}/255 (mean ${d.mean.toFixed(3)}), over ${IMAGE_MAX_DIFF}`);
      }
      out.push({ name: c.name, problems });
    }
  } finally {
    model.destroy();
    ctx.destroy();
  }
  return out;
};
document.getElementById('log')!.textContent = 'ready';
