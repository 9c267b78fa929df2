/** Plain-TypeScript RMSNorm in float64, for tests: x [R, C], w [C]. */
export function rmsNormRef(x: Float32Array, w: Float32Array, R: number, C: number, eps = 1e-6): Float32Array {
  const y = new Float32Array(R * C);
  for (let r = 0; r < R; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[r * C + c] ** 2;
    const inv = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * inv * w[c];
  }
  return y;
}
