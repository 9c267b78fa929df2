/** Plain-TypeScript KV-cache append, for tests: mutates the caches [B, Hkv, maxLen, D]. */
export function kvAppendRef(
  kCache: Float32Array, vCache: Float32Array,
  kNew: Float32Array, vNew: Float32Array,
  s: { B: number; T: number; Hkv: number; D: number; maxLen: number; start: number; kStride?: number; vStride?: number; l2NormK?: boolean },
): void {
  const { B, T, Hkv, D, maxLen, start } = s;
  const ks = s.kStride ?? Hkv * D;
  const vs = s.vStride ?? Hkv * D;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < Hkv; h++) {
    const kb = (b * T + t) * ks + h * D;
    const vb = (b * T + t) * vs + h * D;
    const dst = ((b * Hkv + h) * maxLen + start + t) * D;
    let f = 1;
    if (s.l2NormK) {
      let ss = 0;
      for (let d = 0; d < D; d++) ss += kNew[kb + d] ** 2;
      f = 1 / Math.max(Math.sqrt(ss), 1e-12);
    }
    for (let d = 0; d < D; d++) {
      kCache[dst + d] = kNew[kb + d] * f;
      vCache[dst + d] = vNew[vb + d];
    }
  }
}
