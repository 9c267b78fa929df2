/**
 * Plain-TypeScript RoPE (rotate-half), for tests: returns a rotated copy of x [B, T, ·]. The angle is
 * formed as PyTorch's f32 reference forms it (inv_freq and pos·inv_freq rounded to f32); sin, cos and
 * the rotation are float64.
 */
export function ropeRef(
  x: Float32Array, positions: Float32Array,
  s: { B: number; T: number; H: number; D: number; stride?: number; theta: number; sections?: readonly [number, number, number] },
): Float32Array {
  const { B, T, H, D, theta, sections } = s;
  const stride = s.stride ?? H * D;
  const half = D / 2;
  const out = Float32Array.from(x);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let j = 0; j < half; j++) {
    const axis = !sections ? 0 : j < sections[0] ? 0 : j < sections[0] + sections[1] ? 1 : 2;
    const pos = sections ? positions[3 * t + axis] : positions[t];
    const ang = Math.fround(pos * Math.fround(theta ** (-(2 * j) / D)));
    const e = (b * T + t) * stride + h * D + j;
    const [x1, x2] = [x[e], x[e + half]];
    out[e] = x1 * Math.cos(ang) - x2 * Math.sin(ang);
    out[e + half] = x2 * Math.cos(ang) + x1 * Math.sin(ang);
  }
  return out;
}

/** Plain-TypeScript table RoPE (interleaved pairs, rope_pairs.wgsl), float64: a rotated copy of x [B, T, ·]; table [T, D/2, 2] = (cos, sin). */
export function ropePairsRef(x: Float32Array, table: Float32Array, s: { B: number; T: number; H: number; D: number; stride?: number }): Float32Array {
  const { B, T, H, D } = s;
  const stride = s.stride ?? H * D;
  const half = D / 2;
  const out = Float32Array.from(x);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let p = 0; p < half; p++) {
    const e = (b * T + t) * stride + h * D + 2 * p;
    const [c, sn] = [table[(t * half + p) * 2], table[(t * half + p) * 2 + 1]];
    const [a0, a1] = [x[e], x[e + 1]];
    out[e] = a0 * c - a1 * sn;
    out[e + 1] = a0 * sn + a1 * c;
  }
  return out;
}
