/** Pixels onto a canvas (putImageData only: nothing model-made is ever parsed). */
import type { RgbaImage } from '../api/types';

export function drawRgba(canvas: HTMLCanvasElement, img: RgbaImage): void {
  if (canvas.width !== img.width || canvas.height !== img.height) (canvas.width = img.width), (canvas.height = img.height);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}
