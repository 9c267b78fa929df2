/** CPU reference of image_to_rgba: round half to even, like torch.round and WGSL round. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function imageToRgbaRef(img: Float32Array, H: number, W: number): Uint32Array {
  const hw = H * W;
  const to8 = (x: number) => roundHalfEven(Math.fround(Math.fround(Math.min(1, Math.max(-1, x)) * 127.5) + 127.5));
  const out = new Uint32Array(hw);
  for (let i = 0; i < hw; i++) out[i] = (to8(img[i]) | (to8(img[hw + i]) << 8) | (to8(img[2 * hw + i]) << 16) | (255 << 24)) >>> 0;
  return out;
}
