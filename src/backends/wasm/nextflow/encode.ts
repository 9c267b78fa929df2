/**
 * Image understanding on the CPU backend: an attached image → per-scale codes, as the WebGPU encoder
 * (models/nextflow/vq-encoder.ts) computes them. The encoder graph gives z; the multi-scale residual
 * quantization runs in TypeScript (a few thousand cells):
 *   resid = z; per scale h: codes_h = nearest(area(resid → h)); resid −= bicubic(E[codes_h] → G).
 */
import { InvalidImageError } from '../../../api/errors';
import type { RgbaImage } from '../../../api/types';
import { scaleLayout } from '../../../models/nextflow/config';
import { rgbaToUnitNchw } from '../../../models/nextflow/vq-encoder';
import type { WasmOutput, WasmWork } from '../backend';
import { gatherCodes, nearestCodes, resizeArea, resizeBicubic } from '../cpu-ops';
import type { WasmNextFlowModel } from './model';

export function scheduleEncode(m: WasmNextFlowModel, work: WasmWork, img: RgbaImage): { codes: WasmOutput; split(raw: ArrayBuffer): number[][] } {
  const vq = m.config.vq;
  const S = vq.imageSize;
  if (img.width !== S || img.height !== S || img.data.length !== S * S * 4) {
    throw new InvalidImageError(`this model reads ${S}×${S} RGBA images, got ${img.width}×${img.height} with ${img.data.length} bytes (resize it first)`);
  }
  const layout = scaleLayout(vq.scales);
  const codes = new Uint32Array(layout.total);
  const input = rgbaToUnitNchw(img);
  work.ops.push(async () => {
    const out = await m.encoder!.run({ image: new m.ort.Tensor('float32', input, [1, 3, S, S]) });
    const resid = Float32Array.from(out.z.data as Float32Array);
    const G = out.z.dims[2];
    const C = vq.codeDim;
    const small = new Float32Array(C * G * G);
    vq.scales.forEach((h, s) => {
      const at = layout.offsets[s];
      if (h === G) {
        nearestCodes(resid, h * h, m.codebook, m.codebookNorms, vq.codebookSize, C, codes, at);
        return;
      }
      resizeArea(resid, C, G, G, h, h, small);
      nearestCodes(small, h * h, m.codebook, m.codebookNorms, vq.codebookSize, C, codes, at);
      gatherCodes(codes, at, h * h, m.codebook, vq.codebookSize, C, 'nchw', small);
      for (let i = 0; i < C * h * h; i++) small[i] = -small[i];
      resizeBicubic(small, C, h, h, G, G, 'nchw', resid, true);
    });
  });
  const split = (raw: ArrayBuffer) => {
    const all = new Uint32Array(raw);
    return vq.scales.map((_, s) => Array.from(all.subarray(layout.offsets[s], layout.offsets[s] + layout.tokens[s])));
  };
  return { codes: () => codes, split };
}
