// Bicubic resize, exactly PyTorch's F.interpolate(mode='bicubic', align_corners=False):
// A = −0.75; source coordinate s = (dst + 0.5)·in/out − 0.5, not clamped; t = s − floor(s);
// taps floor(s)−1 … floor(s)+2 clamped to the border; separable (x within each of 4 rows, then y).
//
// Bindings, Params: lib/resize_scaled.wgsl.
// Dispatch: ceil(B·C·outH·outW / WG) workgroups folded into (nx, ny); one thread per output.
// Defines:  WG; TOKENS (1: out is [B, outH·outW, C]; 0: NCHW [B, C, outH, outW]);
//           ACCUM (1: out += result, e.g. straight into a running sum).

#include "lib/resize_scaled.wgsl"

const A: f32 = -0.75;

// Weights of the taps at floor(s)−1, floor(s), floor(s)+1, floor(s)+2 for fraction t.
fn cubicWeights(t: f32) -> vec4<f32> {
  let t1 = t + 1.0;
  let u = 1.0 - t;
  let u1 = u + 1.0;
  return vec4<f32>(
    ((A * t1 - 5.0 * A) * t1 + 8.0 * A) * t1 - 4.0 * A,
    ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0,
    ((A + 2.0) * u - (A + 3.0)) * u * u + 1.0,
    ((A * u1 - 5.0 * A) * u1 + 8.0 * A) * u1 - 4.0 * A,
  );
}

fn tap(i: i32, n: u32) -> u32 {
  return u32(clamp(i, 0, i32(n) - 1));
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.B * P.C * P.outH * P.outW) { return; }
  let o = resize_out_coords(i); // (input plane, oy, ox)
  let sy = (f32(o.y) + 0.5) * P.scaleH - 0.5;
  let sx = (f32(o.z) + 0.5) * P.scaleW - 0.5;
  let fy = floor(sy);
  let fx = floor(sx);
  let wy = cubicWeights(sy - fy);
  let wx = cubicWeights(sx - fx);
  let iy = i32(fy);
  let ix = i32(fx);
  let xs = vec4<u32>(tap(ix - 1, P.inW), tap(ix, P.inW), tap(ix + 1, P.inW), tap(ix + 2, P.inW));
  let base = o.x * P.inH * P.inW;
  var acc = 0.0;
  for (var k = 0; k < 4; k++) {
    let row = base + tap(iy - 1 + k, P.inH) * P.inW;
    let v = vec4<f32>(x[row + xs.x], x[row + xs.y], x[row + xs.z], x[row + xs.w]);
    acc += wy[k] * dot(wx, v);
  }
  resize_store(i, acc);
}
