/** A PNG's exact RGBA pixels in the browser (no colour conversion, no premultiplication), for golden comparisons. */
export async function pngPixels(url: string): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c2d = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
  c2d.drawImage(bmp, 0, 0);
  return { width: bmp.width, height: bmp.height, data: c2d.getImageData(0, 0, bmp.width, bmp.height).data };
}
