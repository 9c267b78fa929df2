// Area resize, exactly PyTorch's F.interpolate(mode='area') = adaptive average pooling: output
// row i averages input rows [floor(i·in/out), ceil((i+1)·in/out)) (bins overlap when out does not
// divide in, e.g. 16→3,5,6,10,13), and likewise for columns. Also serves as 2×2 average pooling
// (out = in/2). VAR uses it for the next scale's input: area(f_hat, pn) flattened to [B, pn², C].
//
// Bindings: 0 Params (uniform), 1 x f32 NCHW [B, C, inH, inW] (read), 2 out f32 (read_write).
// Params:   B, C; inH, inW, outH, outW (pixels); nx (workgroups along x).
// Dispatch: ceil(B·C·outH·outW / WG) workgroups folded into (nx, ny); one thread per output.
// Defines:  WG; TOKENS (1: out is [B, outH·outW, C]; 0: NCHW); ACCUM (1: out += result).

struct Params {
  B: u32,
  C: u32,
  inH: u32,
  inW: u32,
  outH: u32,
  outW: u32,
  nx: u32,       // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

#include "lib/resize_out.wgsl"

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.B * P.C * P.outH * P.outW) { return; }
  let o = resize_out_coords(i); // (input plane, oy, ox)
  // Integer bin edges: no float rounding can move a bin boundary.
  let y0 = (o.y * P.inH) / P.outH;
  let y1 = ((o.y + 1u) * P.inH + P.outH - 1u) / P.outH;
  let x0 = (o.z * P.inW) / P.outW;
  let x1 = ((o.z + 1u) * P.inW + P.outW - 1u) / P.outW;
  let base = o.x * P.inH * P.inW;
  var acc = 0.0;
  for (var y = y0; y < y1; y++) {
    for (var xx = x0; xx < x1; xx++) {
      acc += x[base + y * P.inW + xx];
    }
  }
  let r = acc / f32((y1 - y0) * (x1 - x0));
  resize_store(i, r);
}
