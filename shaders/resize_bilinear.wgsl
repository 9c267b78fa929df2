// Bilinear resize, exactly PyTorch's F.interpolate(mode='bilinear', align_corners=False) without
// antialias (Infinity's f̂ updates: its 'trilinear' with T = 1): source s = (dst + 0.5)·in/out − 0.5,
// clamped at 0; taps i0 = floor(s) and i1 = min(i0 + 1, in − 1), weight λ = s − i0 for i1. Same
// sizes copy exactly (s = dst).
//
// Bindings, Params: lib/resize_scaled.wgsl.
// Dispatch: ceil(B·C·outH·outW / WG) workgroups folded into (nx, ny); one thread per output.
// Defines:  WG; TOKENS (1: out is [B, outH·outW, C]; 0: NCHW); ACCUM (1: out += result).

#include "lib/resize_scaled.wgsl"

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.B * P.C * P.outH * P.outW) { return; }
  let o = resize_out_coords(i); // (input plane, oy, ox)
  let sy = max((f32(o.y) + 0.5) * P.scaleH - 0.5, 0.0);
  let sx = max((f32(o.z) + 0.5) * P.scaleW - 0.5, 0.0);
  let y0 = min(u32(sy), P.inH - 1u);
  let x0 = min(u32(sx), P.inW - 1u);
  let y1 = min(y0 + 1u, P.inH - 1u);
  let x1 = min(x0 + 1u, P.inW - 1u);
  let ly = sy - f32(y0);
  let lx = sx - f32(x0);
  let base = o.x * P.inH * P.inW;
  let top = (1.0 - lx) * x[base + y0 * P.inW + x0] + lx * x[base + y0 * P.inW + x1];
  let bot = (1.0 - lx) * x[base + y1 * P.inW + x0] + lx * x[base + y1 * P.inW + x1];
  resize_store(i, (1.0 - ly) * top + ly * bot);
}
