// Rotary position embedding from a table, in place on q or k, interleaved pairs (Infinity's 2D RoPE):
// pair p of head dims (2p, 2p+1) of token t turns by the angle whose cosine and sine are
// table[t, p] = (cos, sin):  x_2p' = x_2p·cos − x_2p+1·sin,  x_2p+1' = x_2p·sin + x_2p+1·cos.
// The angles come from the host (models/infinity/schedule.ts: half the pairs follow the token's row
// on the RoPE grid, half its column), computed in f64 and rounded once; nothing here calls sin/cos
// (the built-ins are only bounded to 2⁻¹¹ in WGSL).
//
// Bindings: 0 Params (uniform), 1 x f32 [B, T, ·] (read_write): token rows of `stride` elements,
//           head h at h·D; 2 table f32 [T, D/2, 2] (read).
// Params:   B, T, H, D (head dim, even); stride (elements between tokens); x_off, t_off (element
//           offsets); nx (workgroups along x).
// Dispatch: ceil(B·T·H·D/2 / WG) workgroups folded into (nx, ny); one thread per pair.

struct Params {
  B: u32,
  T: u32,
  H: u32,
  D: u32,          // head dim, in elements (even)
  stride: u32,     // elements between tokens of x
  x_off: u32,      // offset of x in its binding, in elements
  t_off: u32,      // offset of table in its binding, in elements
  nx: u32,         // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  let half = P.D / 2u;
  if (i >= P.B * P.T * P.H * half) { return; }
  let p = i % half;
  let h = (i / half) % P.H;
  let t = (i / (half * P.H)) % P.T;
  let b = i / (half * P.H * P.T);
  let e = P.x_off + (b * P.T + t) * P.stride + h * P.D + 2u * p;
  let c = P.t_off + (t * half + p) * 2u;
  let cs = table[c];
  let sn = table[c + 1u];
  let a0 = x[e];
  let a1 = x[e + 1u];
  x[e] = a0 * cs - a1 * sn;
  x[e + 1u] = a0 * sn + a1 * cs;
}
