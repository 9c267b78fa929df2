// Bench-only baseline: a naive Linear, one thread per output, no tiling or reuse.
//   y[M,N] = x[M,K] · W[N,K]ᵀ, f32 everywhere.
//
// Bindings: 0 Params (uniform), 1 x f32 [M,K] (read), 2 w f32 [N,K] (read), 3 y f32 [M,N] (read_write).
// Dispatch: (ceil(N/WG), M) workgroups of WG threads; thread (n, m) computes y[m, n].
// Algorithm: the textbook K loop, reading x and W straight from storage.

struct Params {
  M: u32,  // rows of x and y
  N: u32,  // rows of W, columns of y
  K: u32,  // reduction length
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (n >= P.N || m >= P.M) { return; }
  var s = 0.0;
  for (var k = 0u; k < P.K; k++) { s += x[m * P.K + k] * w[n * P.K + k]; }
  y[m * P.N + n] = s;
}
