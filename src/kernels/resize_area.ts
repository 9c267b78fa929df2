/**
 * Area resize as PyTorch's F.interpolate(mode='area') (adaptive average pooling), any in/out sizes.
 * VAR's next-scale input is recordResizeArea(f_hat → pn×pn, layout 'tokens') = [B, pn², C].
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { recordResize, type ResizeArgs } from './resize-common';

export type { ResizeArgs } from './resize-common';

/** out (= or +=) area(x) at outH×outW; x NCHW, out NCHW or tokens. */
export function recordResizeArea(rec: Recorder, a: ResizeArgs): void {
  recordResize(rec, 'resize_area', a);
}

/**
 * 2×2 average pooling (stride 2) = area resize to H/2×W/2, which has exactly the 2×2 bins. Odd H or
 * W is refused: avg_pool2d would floor the size, which area resize does not reproduce.
 */
export function recordAvgPool2x2(rec: Recorder, a: { x: GPUBuffer; out: GPUBuffer; B: number; C: number; H: number; W: number }): void {
  if (a.H % 2 || a.W % 2) throw new KernelShapeError('avg_pool2x2', `H=${a.H} and W=${a.W} must be even (x [${a.B}, ${a.C}, ${a.H}, ${a.W}])`);
  recordResize(rec, 'resize_area', { x: a.x, out: a.out, B: a.B, C: a.C, inH: a.H, inW: a.W, outH: a.H / 2, outW: a.W / 2 });
}
