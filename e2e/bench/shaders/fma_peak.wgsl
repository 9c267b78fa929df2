// Bench-only: the ALU roofline, as FMAs with no memory traffic in the loop.
//
// Bindings: 0 Params (uniform), 1 out f32 [threads] (read_write; keeps the work observable).
// Dispatch: any number of workgroups of WG threads.
// Algorithm: 8 independent vec4 FMA chains per thread (enough to hide FMA latency), `iters`
//           rounds, 2·4·8 FLOPs per chain step: 64·iters FLOPs per thread. The count is a
//           uniform so the compiler cannot fold the loop.

struct Params {
  iters: u32,  // loop rounds
  a: f32,      // multiplier, close to 1 so values stay finite
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let seed = f32(gid.x) * 1e-6;
  let a = vec4<f32>(P.a);
  let b = vec4<f32>(1e-7);
  var c0 = vec4<f32>(seed, 1.0, 2.0, 3.0);
  var c1 = c0 + 1.0;
  var c2 = c0 + 2.0;
  var c3 = c0 + 3.0;
  var c4 = c0 + 4.0;
  var c5 = c0 + 5.0;
  var c6 = c0 + 6.0;
  var c7 = c0 + 7.0;
  for (var i = 0u; i < P.iters; i++) {
    c0 = fma(c0, a, b);
    c1 = fma(c1, a, b);
    c2 = fma(c2, a, b);
    c3 = fma(c3, a, b);
    c4 = fma(c4, a, b);
    c5 = fma(c5, a, b);
    c6 = fma(c6, a, b);
    c7 = fma(c7, a, b);
  }
  let s = (c0 + c1) + (c2 + c3) + (c4 + c5) + (c6 + c7);
  out[gid.x] = s.x + s.y + s.z + s.w;
}
