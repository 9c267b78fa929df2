// Benchmark baseline only: conv2d (stride 1, same padding, NCHW, f32) with one thread per output
// and no tiling, to measure what shaders/conv2d.wgsl's tiling buys.
//
// Bindings: 0 Params (uniform), 1 x f32 [Cin, H, W] (read), 2 w f32 [Cout, Cin, KS, KS] (read),
//           3 out f32 [Cout, H, W] (read_write).
// Dispatch: (ceil(H·W / WG), Cout) workgroups of WG threads.

struct Params {
  Cin: u32,
  Cout: u32,
  H: u32,
  W: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const KS = {{KS}}u;
const PAD = i32(KS / 2u);

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let p = gid.x;
  let co = gid.y;
  if (p >= P.H * P.W) { return; }
  let y = i32(p / P.W);
  let xx = i32(p % P.W);
  var s = 0.0;
  for (var ci = 0u; ci < P.Cin; ci++) {
    for (var t = 0u; t < KS * KS; t++) {
      let iy = y + i32(t / KS) - PAD;
      let ix = xx + i32(t % KS) - PAD;
      if (iy >= 0 && iy < i32(P.H) && ix >= 0 && ix < i32(P.W)) {
        s += w[(co * P.Cin + ci) * KS * KS + t] * x[(ci * P.H + u32(iy)) * P.W + u32(ix)];
      }
    }
  }
  out[co * P.H * P.W + p] = s;
}
