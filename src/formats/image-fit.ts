/**
 * Fit any RGBA image into the model's square input: center-crop to a square, then an exact area
 * (box) average down to size×size (each output pixel averages the source area it covers, with
 * fractional edge weights), or nearest-neighbour up when the source is smaller. Alpha is composited
 * on white, as the training images are opaque.
 */
import type { RgbaImage } from '../api/types';

export function fitSquare(src: RgbaImage, size: number): RgbaImage {
  const { width: W, height: H, data } = src;
  const side = Math.min(W, H);
  const x0 = (W - side) / 2;
  const y0 = (H - side) / 2;
  const out = new Uint8ClampedArray(size * size * 4);
  const scale = side / size;
  for (let oy = 0; oy < size; oy++) {
    const sy0 = y0 + oy * scale;
    const sy1 = sy0 + Math.max(scale, 1);
    for (let ox = 0; ox < size; ox++) {
      const sx0 = x0 + ox * scale;
      const sx1 = sx0 + Math.max(scale, 1);
      const acc = [0, 0, 0];
      let wsum = 0;
      for (let y = Math.floor(sy0); y < Math.min(H, Math.ceil(sy1)); y++) {
        const wy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        if (wy <= 0) continue;
        for (let x = Math.floor(sx0); x < Math.min(W, Math.ceil(sx1)); x++) {
          const wx = Math.min(x + 1, sx1) - Math.max(x, sx0);
          if (wx <= 0) continue;
          const i = 4 * (y * W + x);
          const a = data[i + 3] / 255;
          const w = wx * wy;
          for (let c = 0; c < 3; c++) acc[c] += w * (data[i + c] * a + 255 * (1 - a));
          wsum += w;
        }
      }
      const o = 4 * (oy * size + ox);
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(acc[c] / wsum);
      out[o + 3] = 255;
    }
  }
  return { width: size, height: size, data: out };
}
