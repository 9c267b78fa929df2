// LayerNorm without affine, fused with AdaLN modulation (VAR):
//   y[r, c] = (x[r, c] − μ_r) / sqrt(σ²_r + eps) · (1 + scale[b, c]) + shift[b, c],  b = r / rowsPerBatch
// scale and shift are rows of one modulation buffer holding a vector per batch, e.g. VAR's
// ada_lin output [B, 6C] (chunks γ1, γ2, s1, s2, b1, b2): scale1 at offset 2C, shift1 at 4C,
// stride 6C. Without MOD it is a plain LayerNorm without affine.
//
// Bindings: 0 Params (uniform), 1 x f32 [R, C] (read), 2 mod f32 (read; MOD only, otherwise any
//           read-only buffer), 3 y f32 [R, C] (read_write; a different buffer from x).
// Params:   R, C (elements); rowsPerBatch (rows per modulation vector); eps; x_off, y_off;
//           scale_off, shift_off (element offsets in mod of batch 0's scale / shift);
//           mod_stride (elements between batches in mod); nx.
// Dispatch: R workgroups of WG threads folded into (nx, ny); one workgroup per row.
// Algorithm: two passes over the row shifted by its first element (mean, then the variance
//           around it, which stays accurate when |μ| ≫ σ), each a per-thread partial sum reduced in two levels of √WG; then every
//           thread normalises and modulates its own columns.

struct Params {
  R: u32,
  C: u32,
  rowsPerBatch: u32,
  eps: f32,
  x_off: u32,
  y_off: u32,
  scale_off: u32,
  shift_off: u32,
  mod_stride: u32,
  nx: u32,   // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mod_: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG = {{WG}}u;
const SQ = {{SQ}}u; // SQ² = WG

#include "lib/wg_sum.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * P.nx + wid.x;
  if (r >= P.R) { return; } // uniform: the same for the whole workgroup
  let xb = P.x_off + r * P.C;
  // Sums run over x − x[row, 0]: when |μ| ≫ σ those differences are exact (Sterbenz), so the
  // rounding of the mean scales with σ instead of |μ| and (x − μ)/σ keeps f32 accuracy.
  let pivot = x[xb];
  var s = 0.0;
  for (var c = lid; c < P.C; c += WG) { s += x[xb + c] - pivot; }
  let mean = wg_sum(s, lid) / f32(P.C); // of the shifted row
  var s2 = 0.0;
  for (var c = lid; c < P.C; c += WG) { let d = (x[xb + c] - pivot) - mean; s2 += d * d; }
  let inv = inverseSqrt(wg_sum(s2, lid) / f32(P.C) + P.eps);
  let yb = P.y_off + r * P.C;
  let mb = (r / P.rowsPerBatch) * P.mod_stride;
  for (var c = lid; c < P.C; c += WG) {
    var v = ((x[xb + c] - pivot) - mean) * inv;
#if MOD
    v = v * (1.0 + mod_[P.scale_off + mb + c]) + mod_[P.shift_off + mb + c];
#endif
    y[yb + c] = v;
  }
}
