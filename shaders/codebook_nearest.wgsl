// Codebook nearest: codes[p] = argmin_k ||E_k||² − 2·r_p·E_k (plain L2; ||r_p||² is the same for every
// k so it is left out), the VQ encoder's quantization step. Lowest k wins ties.
//
// Bindings: 0 Params (uniform), 1 r f32 NCHW [C, HW] at element offset rOff (read),
//           2 codebook f32 [V, C] at element offset cbOff (read), 3 codes u32 (read_write),
//           written at element offset outOff.
// Params:   HW (cells), C (code dim), V (codebook rows), rOff, cbOff, outOff (elements).
// Dispatch: one workgroup per cell (HW workgroups along x); WG threads stride over k and reduce
//           (distance, index) pairs in workgroup memory.
// Defines:  WG (threads, a power of two).

struct Params {
  HW: u32,
  C: u32,
  V: u32,
  rOff: u32,
  cbOff: u32,
  outOff: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> r: array<f32>;
@group(0) @binding(2) var<storage, read> codebook: array<f32>;
@group(0) @binding(3) var<storage, read_write> codes: array<u32>;

var<workgroup> best_d: array<f32, {{WG}}>;
var<workgroup> best_k: array<u32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let p = wid.x;
  var d_min = 3.4e38;
  var k_min = 0xffffffffu;
  for (var k = lid; k < P.V; k += {{WG}}u) {
    var dot = 0.0;
    var ee = 0.0;
    for (var c = 0u; c < P.C; c++) {
      let e = codebook[P.cbOff + k * P.C + c];
      dot += r[P.rOff + c * P.HW + p] * e;
      ee += e * e;
    }
    let d = ee - 2.0 * dot;
    // k grows within a thread, so strict < keeps the lowest index among equal distances.
    if (d < d_min) { d_min = d; k_min = k; }
  }
  best_d[lid] = d_min;
  best_k[lid] = k_min;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let d2 = best_d[lid + s];
      let k2 = best_k[lid + s];
      if (d2 < best_d[lid] || (d2 == best_d[lid] && k2 < best_k[lid])) {
        best_d[lid] = d2;
        best_k[lid] = k2;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { codes[P.outOff + p] = best_k[0]; }
}
