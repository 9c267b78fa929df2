/** The argument shape, checks and dispatch shared by resize_bicubic, resize_bilinear and resize_area. */
import type { Recorder } from '../gpu/recorder';
import { ceilDiv, fold1D } from './dispatch-geometry';
import { bindWindow, checkDims, checkLayout, checkNoAlias, type FeatureLayout } from './feature-checks';
import { tuning } from './tuning';

export interface ResizeArgs {
  /** f32 NCHW [B, C, inH, inW]. */
  x: GPUBuffer;
  /** f32, NCHW [B, C, outH, outW] or tokens [B, outH·outW, C]. */
  out: GPUBuffer;
  B: number;
  C: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  layout?: FeatureLayout;
  /** out += result instead of out = result. */
  accumulate?: boolean;
}

export function recordResize(rec: Recorder, kernel: 'resize_bicubic' | 'resize_bilinear' | 'resize_area', a: ResizeArgs): void {
  const layout = checkLayout(kernel, a.layout ?? 'nchw');
  const { B, C, inH, inW, outH, outW } = a;
  const shapes = `x [${B}, ${C}, ${inH}, ${inW}] → ${layout} ${outH}×${outW}${a.accumulate ? ' accumulate' : ''}`;
  checkDims(kernel, shapes, { B, C, inH, inW, outH, outW });
  checkNoAlias(kernel, a.out, { x: a.x });
  const x = bindWindow(rec.ctx, kernel, shapes, 'x', a.x, B * C * inH * inW);
  const out = bindWindow(rec.ctx, kernel, shapes, 'out', a.out, B * C * outH * outW);
  const { WG } = tuning.featureMap;
  const [nx, ny] = fold1D(ceilDiv(B * C * outH * outW, WG), rec.ctx.limits.maxComputeWorkgroupsPerDimension);
  // Bicubic and bilinear take the scales as f32, computed like PyTorch's area_pixel_compute_scale (in/out).
  const scales: Record<string, number> = kernel !== 'resize_area' ? { scaleH: inH / outH, scaleW: inW / outW } : {};
  rec.dispatch({
    shader: kernel,
    defines: { WG, TOKENS: layout === 'tokens' ? 1 : 0, ACCUM: a.accumulate ? 1 : 0 },
    uniforms: { B, C, inH, inW, outH, outW, ...scales, nx },
    bindings: [x.binding, out.binding],
    workgroups: [nx, ny],
    label: `${kernel}:${layout}`,
  });
}
