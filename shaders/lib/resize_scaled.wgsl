// Params, bindings and output indexing shared by the resizes that take PyTorch's scales (bicubic, bilinear):
//   Bindings: 0 Params (uniform), 1 x f32 NCHW [B, C, inH, inW] (read), 2 out f32 (read_write).
//   Params:   B, C; inH, inW, outH, outW (pixels); scaleH = inH/outH, scaleW = inW/outW (f32, as PyTorch
//             computes them); nx (workgroups along x).

struct Params {
  B: u32,
  C: u32,
  inH: u32,
  inW: u32,
  outH: u32,
  outW: u32,
  scaleH: f32,   // inH / outH
  scaleW: f32,   // inW / outW
  nx: u32,       // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

#include "lib/resize_out.wgsl"
