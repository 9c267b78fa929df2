/** Plain-TypeScript LayerNorm (no affine) + AdaLN modulation in float64, for tests. */
export function layerNormRef(
  x: Float32Array, R: number, C: number,
  mod?: { data: Float32Array; scaleOffset: number; shiftOffset: number; stride: number; rowsPerBatch: number },
  eps = 1e-6,
): Float32Array {
  const y = new Float32Array(R * C);
  for (let r = 0; r < R; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c];
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / C + eps);
    const mb = mod ? Math.floor(r / mod.rowsPerBatch) * mod.stride : 0;
    for (let c = 0; c < C; c++) {
      let o = (x[r * C + c] - mean) * inv;
      if (mod) o = o * (1 + mod.data[mod.scaleOffset + mb + c]) + mod.data[mod.shiftOffset + mb + c];
      y[r * C + c] = o;
    }
  }
  return y;
}
