/** CPU reference of spatial_attention: out[c, i] = Σ_j softmax_j(scale·Σ_c' q[c', i]·k[c', j])·v[c, j], in float64. */
export function spatialAttentionRef(qkv: ArrayLike<number>, C: number, HW: number, scale = 1 / Math.sqrt(C)): Float64Array {
  const out = new Float64Array(C * HW);
  const p = new Float64Array(HW);
  for (let i = 0; i < HW; i++) {
    let m = -Infinity;
    for (let j = 0; j < HW; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += qkv[c * HW + i] * qkv[(C + c) * HW + j];
      p[j] = s * scale;
      m = Math.max(m, p[j]);
    }
    let sum = 0;
    for (let j = 0; j < HW; j++) sum += p[j] = Math.exp(p[j] - m);
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let j = 0; j < HW; j++) acc += p[j] * qkv[(2 * C + c) * HW + j];
      out[c * HW + i] = acc / sum;
    }
  }
  return out;
}
