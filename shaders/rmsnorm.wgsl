// RMSNorm with a learned weight over the rows of x [R, C]:
//   y[r, c] = x[r, c] / sqrt(mean_c(x[r, :]²) + eps) · w[c]
//
// Bindings: 0 Params (uniform), 1 x f32 [R, C] (read), 2 w f32 [C] (read), 3 y f32 [R, C]
//           (read_write; a different buffer from x).
// Params:   R, C (elements); eps; x_off, w_off, y_off (element offsets in the bindings); nx.
// Dispatch: R workgroups of WG threads folded into (nx, ny); one workgroup per row.
// Algorithm: thread lid sums x² over c = lid, lid+WG, …; the WG partials are reduced in two
//           levels of √WG (two barriers instead of log2(WG): barriers are what costs on
//           CPU-emulated GPUs); then every thread scales its own columns.

struct Params {
  R: u32,
  C: u32,
  eps: f32,
  x_off: u32,
  w_off: u32,
  y_off: u32,
  nx: u32,   // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG = {{WG}}u;
const SQ = {{SQ}}u; // SQ² = WG

#include "lib/wg_sum.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * P.nx + wid.x;
  if (r >= P.R) { return; } // uniform: the same for the whole workgroup
  let xb = P.x_off + r * P.C;
  var ss = 0.0;
  for (var c = lid; c < P.C; c += WG) { let v = x[xb + c]; ss += v * v; }
  let inv = inverseSqrt(wg_sum(ss, lid) / f32(P.C) + P.eps);
  let yb = P.y_off + r * P.C;
  for (var c = lid; c < P.C; c += WG) { y[yb + c] = x[xb + c] * inv * w[P.w_off + c]; }
}
