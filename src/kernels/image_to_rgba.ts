/** A decoded image in [-1, 1] (NCHW, 3 channels) to packed RGBA8, ready for ImageData or PNG. */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { ceilDiv } from './dispatch-geometry';
import { tuning } from './tuning';

export function recordImageToRgba(rec: Recorder, a: { img: GPUBuffer; imgOffset?: number; rgba: GPUBuffer; H: number; W: number }): void {
  const hw = a.H * a.W;
  const off = a.imgOffset ?? 0;
  const shapes = `img [3, ${a.H}, ${a.W}] → rgba [${hw}]`;
  if (!(hw > 0) || !Number.isInteger(hw)) throw new KernelShapeError('image_to_rgba', `bad size (${shapes})`);
  if (a.img.size < (off + 3 * hw) * 4) throw new KernelShapeError('image_to_rgba', `img holds ${a.img.size / 4} f32, needs ${off + 3 * hw} (${shapes})`);
  if (a.rgba.size < hw * 4) throw new KernelShapeError('image_to_rgba', `rgba holds ${a.rgba.size / 4} u32, needs ${hw} (${shapes})`);
  const { WG } = tuning.elementwise;
  rec.dispatch({
    shader: 'image_to_rgba',
    defines: { WG },
    uniforms: { hw, inOffset: off },
    bindings: [a.img, a.rgba],
    workgroups: [ceilDiv(hw, WG)],
    label: 'image_to_rgba',
  });
}
