/** CPU reference of GroupNorm (+ optional SiLU) over NCHW, in float64, two-pass like PyTorch. */
export function groupNormRef(
  x: ArrayLike<number>,
  B: number,
  C: number,
  HW: number,
  G: number,
  eps: number,
  weight?: ArrayLike<number>,
  bias?: ArrayLike<number>,
  silu = false,
): Float64Array {
  const out = new Float64Array(B * C * HW);
  const Cg = C / G;
  const n = Cg * HW;
  for (let b = 0; b < B; b++)
    for (let g = 0; g < G; g++) {
      const base = (b * C + g * Cg) * HW;
      let s = 0;
      for (let i = 0; i < n; i++) s += x[base + i];
      const mean = s / n;
      let q = 0;
      for (let i = 0; i < n; i++) q += (x[base + i] - mean) ** 2;
      const rstd = 1 / Math.sqrt(q / n + eps);
      for (let i = 0; i < n; i++) {
        const c = g * Cg + Math.floor(i / HW);
        let y = (x[base + i] - mean) * rstd;
        if (weight && bias) y = y * weight[c] + bias[c];
        if (silu) y = y / (1 + Math.exp(-y));
        out[base + i] = y;
      }
    }
  return out;
}
