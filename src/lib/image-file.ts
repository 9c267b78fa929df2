/**
 * A file the user attaches, drops or pastes → the model's square RGBA input. Refuses, with a reason,
 * what is not an image, what is too big to decode safely, and what the browser cannot decode.
 */
import type { RgbaImage } from '../api/types';
import { fitSquare } from '../formats/image-fit';
import { ImageFileError } from '../api/errors';

export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_SIDE = 8192;

export async function imageFromFile(file: Blob & { name?: string }, size: number): Promise<RgbaImage> {
  const name = file.name ? `"${file.name}"` : 'The pasted item';
  if (!file.type.startsWith('image/')) throw new ImageFileError(`${name} is not an image (${file.type || 'unknown type'}). Attach a PNG, JPEG, WebP or GIF.`);
  if (file.size > MAX_FILE_BYTES) throw new ImageFileError(`${name} is ${(file.size / 2 ** 20).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MB. Attach a smaller image.`);
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new ImageFileError(`${name} could not be decoded as an image. Attach a PNG, JPEG, WebP or GIF.`);
  }
  try {
    if (bmp.width > MAX_SIDE || bmp.height > MAX_SIDE) throw new ImageFileError(`${name} is ${bmp.width}×${bmp.height} px; the limit is ${MAX_SIDE} px a side.`);
    // Crop to the center square on a canvas (cheap, GPU-backed), then exact area-resize in fitSquare.
    const side = Math.min(bmp.width, bmp.height);
    const work = Math.min(side, size * 8);
    const canvas = new OffscreenCanvas(work, work);
    const c2d = canvas.getContext('2d')!;
    c2d.fillStyle = '#fff';
    c2d.fillRect(0, 0, work, work);
    c2d.drawImage(bmp, (bmp.width - side) / 2, (bmp.height - side) / 2, side, side, 0, 0, work, work);
    const px = c2d.getImageData(0, 0, work, work);
    return fitSquare({ width: work, height: work, data: px.data }, size);
  } finally {
    bmp.close();
  }
}
