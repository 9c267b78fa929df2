/**
 * Nearest ×r upsample (the VQ decoder's ↑ is r = 2 followed by a 3×3 conv) and depth-to-space
 * (pixel shuffle), NCHW f32: one small shader, two entry points in TS.
 */
import type { Recorder } from '../gpu/recorder';
import { ceilDiv, fold1D } from './dispatch-geometry';
import { bindWindow, checkDims, checkNoAlias } from './feature-checks';
import { tuning } from './tuning';

export interface UpsampleArgs {
  /** f32 NCHW [B, C, H, W] (nearest) or [B, C·r², H, W] (depth-to-space). */
  x: GPUBuffer;
  /** f32 NCHW [B, C, H·r, W·r]. */
  out: GPUBuffer;
  B: number;
  /** Output channels. */
  C: number;
  /** Input height and width. */
  H: number;
  W: number;
}

const K = 'upsample_nearest';

function record(rec: Recorder, kernel: string, a: UpsampleArgs, r: number, d2s: boolean): void {
  const { B, C, H, W } = a;
  const cin = d2s ? C * r * r : C;
  const shapes = `x [${B}, ${cin}, ${H}, ${W}] → [${B}, ${C}, ${H}·${r}, ${W}·${r}]`;
  checkDims(kernel, shapes, { B, C, H, W, r });
  checkNoAlias(kernel, a.out, { x: a.x });
  const x = bindWindow(rec.ctx, kernel, shapes, 'x', a.x, B * cin * H * W);
  const n = B * C * H * r * W * r;
  const out = bindWindow(rec.ctx, kernel, shapes, 'out', a.out, n);
  const { WG } = tuning.featureMap;
  const [nx, ny] = fold1D(ceilDiv(n, WG), rec.ctx.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch({
    shader: K,
    defines: { WG, D2S: d2s ? 1 : 0 },
    uniforms: { B, C, H, W, r, nx },
    bindings: [x.binding, out.binding],
    workgroups: [nx, ny],
    label: `${kernel}:r=${r}`,
  });
}

/** out[b, c, y, x] = x[b, c, ⌊y/r⌋, ⌊x/r⌋] (F.interpolate nearest, integer scale factor; default 2). */
export function recordUpsampleNearest(rec: Recorder, a: UpsampleArgs & { factor?: number }): void {
  record(rec, K, a, a.factor ?? 2, false);
}

/** Pixel shuffle: out[b, c, y, x] = x[b, c·r² + (y%r)·r + x%r, ⌊y/r⌋, ⌊x/r⌋]. */
export function recordDepthToSpace(rec: Recorder, a: UpsampleArgs & { r: number }): void {
  record(rec, 'depth_to_space', a, a.r, true);
}
