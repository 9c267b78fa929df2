/** RGBA results as the browser types a page wants: an ImageBitmap to draw, a PNG Blob to save or upload. */
import type { RgbaImage } from '../api/types';

export function toImageData(img: RgbaImage): ImageData {
  return new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);
}

export function toImageBitmap(img: RgbaImage): Promise<ImageBitmap> {
  return createImageBitmap(toImageData(img));
}

export async function toPngBlob(img: RgbaImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(img.width, img.height);
  canvas.getContext('2d')!.putImageData(toImageData(img), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
