// Rotary position embedding, in place on q or k, rotate-half convention (Llama / Qwen): pair j
// (j < D/2) rotates dims j and j + D/2 by the angle pos·inv_freq_j, inv_freq_j = theta^(−2j/D):
//   x_j' = x_j·cos − x_{j+D/2}·sin,   x_{j+D/2}' = x_{j+D/2}·cos + x_j·sin.
// 1D mode: pos = positions[t]. 3D mode (POS3D, NextFlow's multi-scale RoPE): positions is [T, 3]
// and pair j takes axis 0 when j < s0, axis 1 when j < s0 + s1, else axis 2; the frequency index
// j stays global (as Qwen2-VL's M-RoPE). Positions are shared across the batch and may be
// fractional (image cells sit at C·(i+0.5)/H).
//
// Bindings: 0 Params (uniform), 1 x f32 [B, T, ·] (read_write): token rows of `stride`
//           elements, head h at h·D; 2 positions f32 [T] or [T, 3] (read).
// Params:   B, T, H, D (head dim, even, ≤ 128); stride (elements between tokens); x_off, p_off
//           (element offsets); s0, s1 (pairs on axes 0 and 1, 3D only); nx; inv_freq (D/2 f32,
//           theta^(−2j/D) rounded to f32 on the host, packed four per vec4).
// Dispatch: ceil(B·T·H·D/2 / WG) workgroups folded into (nx, ny); one thread per pair.
// Precision: the angle pos·inv_freq is the f32 product, as every f32 RoPE (PyTorch's included)
//           forms it, and its sin/cos are then computed to ~1e-7 by sincos_f32 below. The built-in
//           sin/cos are not used: WGSL only bounds them to 2⁻¹¹ absolute, and SwiftShader's measure
//           1.9e-4 off. That error in q and k shifted the model's logits against PyTorch by up to
//           1e-3 of their magnitude in long chats. inv_freq comes from the host for the same
//           reason: the built-in exp2 is ~3 ulp off, i.e. 1e-4 rad at position 500.

struct Params {
  B: u32,
  T: u32,
  H: u32,
  D: u32,          // head dim, in elements (even, ≤ 128)
  stride: u32,     // elements between tokens of x
  x_off: u32,      // offset of x in its binding, in elements
  p_off: u32,      // offset of positions in its binding, in elements
  s0: u32,         // pairs driven by axis 0 (3D)
  s1: u32,         // pairs driven by axis 1 (3D); the rest by axis 2
  nx: u32,         // workgroups along x
  inv_freq: array<vec4<f32>, 16>, // pair j at [j / 4][j % 4]
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;

// π/2 in three parts (Cody–Waite): PIO2_1 and PIO2_2 have 11 significant bits, so k·PIO2_1 and
// k·PIO2_2 are exact for |k| < 2¹³ (angles up to ~12000 rad) and the reduction loses nothing.
const PIO2_1 = 1.5703125;
const PIO2_2 = 4.837512969970703e-4;
const PIO2_3 = 7.549790126404332e-8;
const TWO_OVER_PI = 0.6366197723675814;

// (sin a, cos a) to ~1e-7 absolute: a = k·π/2 + r with |r| ≤ π/4, Taylor polynomials in r (the
// first omitted terms are < 2e-9 there), then the quadrant k mod 4 swaps and negates.
fn sincos_f32(a: f32) -> vec2<f32> {
  let kf = round(a * TWO_OVER_PI);
  let r = ((a - kf * PIO2_1) - kf * PIO2_2) - kf * PIO2_3;
  let r2 = r * r;
  let sr = r + r * r2 * (-1.6666666666666666e-1 + r2 * (8.333333333333333e-3 + r2 * (-1.984126984126984e-4 + r2 * 2.7557319223985893e-6)));
  let cr = 1.0 + r2 * (-0.5 + r2 * (4.1666666666666664e-2 + r2 * (-1.388888888888889e-3 + r2 * (2.48015873015873e-5 - r2 * 2.755731922398589e-7))));
  switch u32(i32(kf) & 3) {
    case 0u: { return vec2<f32>(sr, cr); }
    case 1u: { return vec2<f32>(cr, -sr); }
    case 2u: { return vec2<f32>(-sr, -cr); }
    default: { return vec2<f32>(-cr, sr); }
  }
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let half = P.D / 2u;
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.B * P.T * P.H * half) { return; }
  let j = i % half;
  let h = (i / half) % P.H;
  let tok = i / (half * P.H); // b·T + t
  let t = tok % P.T;
#if POS3D
  let axis = select(select(2u, 1u, j < P.s0 + P.s1), 0u, j < P.s0);
  let pos = positions[P.p_off + 3u * t + axis];
#else
  let pos = positions[P.p_off + t];
#endif
  let sc = sincos_f32(pos * P.inv_freq[j / 4u][j % 4u]);
  let e = P.x_off + tok * P.stride + h * P.D + j;
  let a = x[e];
  let bv = x[e + half];
  x[e] = a * sc.y - bv * sc.x;
  x[e + half] = bv * sc.y + a * sc.x;
}
