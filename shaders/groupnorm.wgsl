// GroupNorm over NCHW f32 (PyTorch nn.GroupNorm): for each (b, g), the Cg = C/G channels × HW
// pixels of the group are normalized with their mean and biased variance,
//   y = (x − mean) / sqrt(var + eps) · weight[c] + bias[c]   (affine when AFFINE)
// then SiLU when SILU (the decoder's GN → SiLU pair in one pass).
//
// Bindings: 0 Params (uniform), 1 x f32 [B, C, H, W] (read), 2 weight [C] at element offset wOff,
//           3 bias [C] at element offset bOff (f32, or f16 packed two per u32 when W_F16; any
//           buffer when !AFFINE), 4 out f32 [B, C, H, W] (read_write).
// Params:   B, C, HW (pixels), G (groups), Cg (= C/G), eps, wOff, bOff (elements).
// Dispatch: (G, B) workgroups of WG threads; one workgroup per (batch, group).
// Algorithm: the group is one contiguous run of Cg·HW elements. Pass 1 sums it (mean), pass 2
//           sums (x − mean)² (two passes: no cancellation at 256×256), each thread striding over
//           pixels channel by channel and the workgroup reducing through workgroup memory; pass 3
//           writes the output. Each pass reads x again (it stays in cache for small groups).

struct Params {
  B: u32,
  C: u32,
  HW: u32,     // pixels per channel
  G: u32,      // groups
  Cg: u32,     // channels per group
  eps: f32,
  wOff: u32,   // elements
  bOff: u32,   // elements
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if W_F16
@group(0) @binding(2) var<storage, read> weight: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<u32>;
#else
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
#endif
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG = {{WG}}u;
var<workgroup> red: array<f32, WG>;

fn f16At(word: u32, e: u32) -> f32 {
  let pair = unpack2x16float(word);
  return select(pair.x, pair.y, (e & 1u) == 1u);
}

fn weightAt(e: u32) -> f32 {
#if W_F16
  return f16At(weight[e >> 1u], e);
#else
  return weight[e];
#endif
}

fn biasAt(e: u32) -> f32 {
#if W_F16
  return f16At(bias[e >> 1u], e);
#else
  return bias[e];
#endif
}

// Sum of `v` over the workgroup, returned to every thread.
fn workgroupSum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier(); // red is reused by the next call
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x;
  let b = wid.y;
  let c0 = g * P.Cg;
  let base = (b * P.C + c0) * P.HW;
  let n = P.Cg * P.HW;

  var s = 0.0;
  for (var i = lid; i < n; i += WG) { s += x[base + i]; }
  let mean = workgroupSum(s, lid) / f32(n);

  var q = 0.0;
  for (var i = lid; i < n; i += WG) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  let rstd = inverseSqrt(workgroupSum(q, lid) / f32(n) + P.eps);

  for (var c = 0u; c < P.Cg; c++) {
#if AFFINE
    let scale = rstd * weightAt(P.wOff + c0 + c);
    let shift = biasAt(P.bOff + c0 + c) - mean * scale;
#else
    let scale = rstd;
    let shift = -mean * rstd;
#endif
    let row = base + c * P.HW;
    for (var p = lid; p < P.HW; p += WG) {
      var y = x[row + p] * scale + shift;
#if SILU
      y = y / (1.0 + exp(-y));
#endif
      out[row + p] = y;
    }
  }
}
