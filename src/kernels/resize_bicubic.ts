/**
 * Bicubic resize as PyTorch's F.interpolate(mode='bicubic', align_corners=False), any in/out sizes.
 * VAR upsamples each scale's h [B, 32, pn, pn] to the final 16×16 grid with it.
 */
import type { Recorder } from '../gpu/recorder';
import { recordResize, type ResizeArgs } from './resize-common';

export type { ResizeArgs } from './resize-common';

/** out (= or +=) bicubic(x) at outH×outW; x NCHW, out NCHW or tokens. */
export function recordResizeBicubic(rec: Recorder, a: ResizeArgs): void {
  recordResize(rec, 'resize_bicubic', a);
}
