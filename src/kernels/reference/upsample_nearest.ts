/** CPU references of nearest ×r upsample and depth-to-space (pixel_shuffle), NCHW. */
export function upsampleNearestRef(x: ArrayLike<number>, B: number, C: number, H: number, W: number, r: number): Float32Array {
  const OH = H * r;
  const OW = W * r;
  const out = new Float32Array(B * C * OH * OW);
  for (let bc = 0; bc < B * C; bc++)
    for (let y = 0; y < OH; y++)
      for (let xx = 0; xx < OW; xx++) out[(bc * OH + y) * OW + xx] = x[(bc * H + Math.floor(y / r)) * W + Math.floor(xx / r)];
  return out;
}

export function depthToSpaceRef(x: ArrayLike<number>, B: number, C: number, H: number, W: number, r: number): Float32Array {
  const OH = H * r;
  const OW = W * r;
  const out = new Float32Array(B * C * OH * OW);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          const cin = c * r * r + (y % r) * r + (xx % r);
          out[((b * C + c) * OH + y) * OW + xx] = x[((b * C * r * r + cin) * H + Math.floor(y / r)) * W + Math.floor(xx / r)];
        }
  return out;
}
