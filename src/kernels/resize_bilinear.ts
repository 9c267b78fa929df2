/**
 * Bilinear resize as PyTorch's F.interpolate(mode='bilinear', align_corners=False, antialias=False), any
 * in/out sizes, both ways. Infinity adds each scale's codes into f̂ with it and makes the next scale's
 * input by resizing f̂ down.
 */
import type { Recorder } from '../gpu/recorder';
import { recordResize, type ResizeArgs } from './resize-common';

export type { ResizeArgs } from './resize-common';

/** out (= or +=) bilinear(x) at outH×outW; x NCHW, out NCHW or tokens. */
export function recordResizeBilinear(rec: Recorder, a: ResizeArgs): void {
  recordResize(rec, 'resize_bilinear', a);
}
