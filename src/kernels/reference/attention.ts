/**
 * Plain three-step attention in float64, for tests: S = scale·QKᵀ, mask, softmax, ·V.
 * q [B, T, H, D] with token stride qStride; caches [B, Hkv, maxLen, D]; out [B, T, H, D].
 */
export interface AttentionRefArgs {
  B: number; T: number; H: number; Hkv: number; D: number; maxLen: number;
  kvLen: number; qStart: number; mask: 'causal' | 'block' | 'none';
  qStride?: number; scale?: number;
  /** VAR q-normalisation: per-head learned log-scales. */
  scaleMul?: Float32Array;
}

export function attentionRef(q: Float32Array, kCache: Float32Array, vCache: Float32Array, a: AttentionRefArgs): Float32Array {
  const { B, T, H, Hkv, D, maxLen, kvLen, qStart, mask } = a;
  const qs = a.qStride ?? H * D;
  const scale = a.scale ?? (a.scaleMul ? 1 : 1 / Math.sqrt(D));
  const out = new Float32Array(B * T * H * D);
  const qrow = new Float64Array(D);
  const s = new Float64Array(kvLen);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) {
    const hk = Math.floor(h / (H / Hkv));
    for (let d = 0; d < D; d++) qrow[d] = q[(b * T + t) * qs + h * D + d];
    if (a.scaleMul) {
      const n = Math.max(Math.hypot(...qrow), 1e-12);
      const f = Math.exp(Math.min(a.scaleMul[h], Math.log(100))) / n;
      for (let d = 0; d < D; d++) qrow[d] *= f;
    }
    const lim = mask === 'causal' ? Math.min(kvLen, qStart + t + 1) : mask === 'block' ? Math.min(kvLen, qStart + T) : kvLen;
    const base = (b * Hkv + hk) * maxLen * D;
    let mx = -Infinity;
    for (let j = 0; j < kvLen; j++) {
      if (j >= lim) { s[j] = -Infinity; continue; }
      let acc = 0;
      for (let d = 0; d < D; d++) acc += qrow[d] * kCache[base + j * D + d];
      s[j] = acc * scale;
      mx = Math.max(mx, s[j]);
    }
    let sum = 0;
    for (let j = 0; j < kvLen; j++) sum += s[j] = Math.exp(s[j] - mx);
    const o = ((b * T + t) * H + h) * D;
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let j = 0; j < lim; j++) acc += s[j] * vCache[base + j * D + d];
      out[o + d] = acc / sum;
    }
  }
  return out;
}
