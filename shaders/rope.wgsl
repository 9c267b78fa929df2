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
// Params:   B, T, H, D (head dim, even); stride (elements between tokens); x_off, p_off (element
//           offsets); s0, s1 (pairs on axes 0 and 1, 3D only); log2_theta (f32); nx.
// Dispatch: ceil(B·T·H·D/2 / WG) workgroups folded into (nx, ny); one thread per pair.
// Precision: the angle is reduced to [−π, π] before sin/cos, whose accuracy WGSL only bounds
//           there; positions up to a few thousand keep the angle's own f32 rounding ≲ 3e-4 rad.

struct Params {
  B: u32,
  T: u32,
  H: u32,
  D: u32,          // head dim, in elements (even)
  stride: u32,     // elements between tokens of x
  x_off: u32,      // offset of x in its binding, in elements
  p_off: u32,      // offset of positions in its binding, in elements
  s0: u32,         // pairs driven by axis 0 (3D)
  s1: u32,         // pairs driven by axis 1 (3D); the rest by axis 2
  log2_theta: f32, // log2 of the RoPE base
  nx: u32,         // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<f32>;

const TWO_PI = 6.283185307179586;

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
  let inv_freq = exp2(-f32(2u * j) / f32(P.D) * P.log2_theta);
  var ang = pos * inv_freq;
  ang -= TWO_PI * round(ang / TWO_PI);
  let c = cos(ang);
  let s = sin(ang);
  let e = P.x_off + tok * P.stride + h * P.D + j;
  let a = x[e];
  let bv = x[e + half];
  x[e] = a * c - bv * s;
  x[e + half] = bv * c + a * s;
}
