// Infinity's teacher-forced goldens in the browser (e2e/infinity-goldens.spec.ts calls window.__nextscaleInfinityGoldens):
// the official-layout .pth files of tools/infinity_golden.py converted on this page, then every case with the
// reference's bits fed back, on this page's WebGPU device and on the CPU backend, compared with the PyTorch reference.
import { createGpuContext } from '../../src/gpu/device';
import { bytesAccess, readPth } from '../../src/formats/pth';
import { convertInfinityPth } from '../../src/models/infinity/convert-pth';
import { infinityFamily } from '../../src/models/infinity/family';
import { bytesSource, type ByteSource } from '../../src/models/weights';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import { textFeaturesFromSafetensors } from '../../src/formats/text-features';
import { driveScales, type ScaleOutput } from '../../src/engine/scale-driver';
import type { Backend } from '../../src/backends/backend';
import type { LoadedModel, ModelFiles } from '../../src/models/family';
import { compareTeacherForced, readInfinityGolden, RESOLUTION_OF_PN, type InfinityGoldenIndex } from '../goldens/infinity-compare';

type Result = { device: string; name: string; problems: string[]; worst: Record<string, number> };

declare global {
  interface Window {
    __nextscaleInfinityGoldens(dir: string): Promise<Result[]>;
  }
}

window.__nextscaleInfinityGoldens = async (dir) => {
  const get = async (f: string) => new Uint8Array(await (await fetch(`/${dir}/${f}`)).arrayBuffer());
  const index = (await (await fetch(`/${dir}/index.json`)).json()) as InfinityGoldenIndex;
  const conv = await convertInfinityPth(await readPth(bytesAccess(await get(index.model)), index.model), await readPth(bytesAccess(await get(index.vae)), index.vae), { modelFile: index.model, vaeFile: index.vae });
  const files: ModelFiles = { config: conv.config, json: () => undefined, files: new Map<string, ByteSource>([...conv.files].map(([k, v]) => [k, bytesSource(v)])) };
  const textFeatures = textFeaturesFromSafetensors(await get(index.features));
  const out: Result[] = [];
  const ctx = await createGpuContext();
  const rt = await wasmRuntime({ wasmPaths: '/node_modules/onnxruntime-web/dist/' });
  const peers: Array<[string, LoadedModel<unknown, unknown>, Backend<unknown, unknown>]> = [
    ['webgpu', infinityFamily.load(ctx, files) as LoadedModel<unknown, unknown>, new WebGpuBackend(ctx) as Backend<unknown, unknown>],
    ['wasm', (await loadOnWasm(rt, files)) as LoadedModel<unknown, unknown>, new WasmBackend(rt) as Backend<unknown, unknown>],
  ];
  try {
    for (const [device, m, backend] of peers) {
      for (const c of index.cases) {
        // The decoder is what takes long on an emulated GPU: its image is checked on the first case of each device.
        const image = c === index.cases[0];
        const g = readInfinityGolden(c, await get(c.tensors), 32);
        const steps = m.imageSteps({ textFeatures, resolution: RESOLUTION_OF_PN[c.pn], aspect: c.h_div_w }, { seed: 0, cfg: c.cfg, topK: 1, topP: 0, temperature: c.tau });
        g.codes.forEach((codes, s) => steps.teacherForce!(s, codes));
        const outs: ScaleOutput[] = [];
        for await (const o of driveScales(backend, steps, { previews: false, captureLogits: c.logit_rows, finalImage: image })) outs.push(o);
        steps.release();
        out.push({ device, name: c.name, ...compareTeacherForced(g, outs, { image }) });
      }
    }
  } finally {
    for (const [, m] of peers) m.destroy();
    ctx.destroy();
  }
  return out;
};
document.getElementById('log')!.textContent = 'ready';
