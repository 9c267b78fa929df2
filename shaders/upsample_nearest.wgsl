// Nearest upsample by an integer factor r (PyTorch F.interpolate(mode='nearest', scale_factor=r):
// out[b, c, y, x] = x[b, c, y/r, x/r]) or, with D2S, depth-to-space (PyTorch pixel_shuffle(r):
// out[b, c, y, x] = x[b, c·r² + (y%r)·r + x%r, y/r, x/r]).
//
// Bindings: 0 Params (uniform), 1 x f32 NCHW [B, C·(D2S ? r² : 1), H, W] (read),
//           2 out f32 NCHW [B, C, H·r, W·r] (read_write).
// Params:   B, C (output channels), H, W (input pixels), r (factor), nx (workgroups along x).
// Dispatch: ceil(B·C·H·r·W·r / WG) workgroups folded into (nx, ny); one thread per output.

struct Params {
  B: u32,
  C: u32,      // output channels
  H: u32,      // input height
  W: u32,      // input width
  r: u32,      // factor
  nx: u32,     // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  let OW = P.W * P.r;
  let OHW = P.H * P.r * OW;
  if (i >= P.B * P.C * OHW) { return; }
  let p = i % OHW;
  let bc = i / OHW;        // b·C + c
  let oy = p / OW;
  let ox = p % OW;
#if D2S
  let b = bc / P.C;
  let c = bc % P.C;
  let cin = (b * P.C + c) * P.r * P.r + (oy % P.r) * P.r + ox % P.r;
#else
  let cin = bc;
#endif
  out[i] = x[(cin * P.H + oy / P.r) * P.W + ox / P.r];
}
