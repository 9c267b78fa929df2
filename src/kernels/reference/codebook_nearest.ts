/**
 * CPU reference of codebook_nearest: argmin_k ||E_k||² − 2·r_p·E_k over f32 [V, C] rows, lowest k
 * on ties. Also returns each cell's best and second-best distance, so a test can tell a true
 * mismatch from a near tie that float rounding may flip.
 */
export function codebookNearestRef(
  r: ArrayLike<number>,
  codebook: ArrayLike<number>,
  HW: number,
  C: number,
  V: number,
): { codes: Uint32Array; gap: Float64Array } {
  const codes = new Uint32Array(HW);
  const gap = new Float64Array(HW);
  for (let p = 0; p < HW; p++) {
    let best = Infinity;
    let second = Infinity;
    let arg = 0;
    for (let k = 0; k < V; k++) {
      let dot = 0;
      let ee = 0;
      for (let c = 0; c < C; c++) {
        const e = codebook[k * C + c];
        dot += r[c * HW + p] * e;
        ee += e * e;
      }
      const d = ee - 2 * dot;
      if (d < best) {
        second = best;
        best = d;
        arg = k;
      } else if (d < second) second = d;
    }
    codes[p] = arg;
    gap[p] = second - best;
  }
  return { codes, gap };
}
