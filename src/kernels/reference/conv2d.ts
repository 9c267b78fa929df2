/** CPU reference of conv2d (stride 1, same padding, NCHW) with the kernel's epilogue, in float64. */
export interface Conv2dRefArgs {
  x: ArrayLike<number>; // [B, Cin, H, W]
  w: ArrayLike<number>; // [Cout, Cin, k, k], already f32 (f16 weights decoded)
  bias?: ArrayLike<number>; // [Cout]
  skip?: ArrayLike<number>; // [B, Cout, H, W]
  prior?: ArrayLike<number>; // out before the call, when accumulating
  B: number;
  Cin: number;
  Cout: number;
  H: number;
  W: number;
  ksize: number;
  alpha?: number;
  beta?: number;
}

export function conv2dRef(a: Conv2dRefArgs): Float64Array {
  const { x, w, B, Cin, Cout, H, W, ksize } = a;
  const alpha = a.alpha ?? 1;
  const beta = a.beta ?? 1;
  const pad = Math.floor(ksize / 2);
  const HW = H * W;
  const out = new Float64Array(B * Cout * HW);
  for (let b = 0; b < B; b++)
    for (let co = 0; co < Cout; co++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          let s = 0;
          for (let ci = 0; ci < Cin; ci++)
            for (let ky = 0; ky < ksize; ky++) {
              const iy = y + ky - pad;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < ksize; kx++) {
                const ix = xx + kx - pad;
                if (ix < 0 || ix >= W) continue;
                s += w[((co * Cin + ci) * ksize + ky) * ksize + kx] * x[(b * Cin + ci) * HW + iy * W + ix];
              }
            }
          const o = (b * Cout + co) * HW + y * W + xx;
          let v = alpha * (s + (a.bias ? a.bias[co] : 0));
          if (a.skip) v += beta * a.skip[o];
          if (a.prior) v += a.prior[o];
          out[o] = v;
        }
  return out;
}
