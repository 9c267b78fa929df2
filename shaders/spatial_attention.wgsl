// Single-head attention over the pixels of a feature map, the VQ-VAE decoder's AttnBlock:
//   out[c, i] = Σ_j softmax_j(scale · Σ_c' q[c', i]·k[c', j]) · v[c, j]
// q, k, v are the three C-row slices of one NCHW qkv map [3C, HW] (the 1×1 qkv conv's output), so
// no transpose is needed: both passes read channel-major rows. The head dim is C (512 or 640 in
// VAR's VAE), too wide for the KV-cache attention kernel's registers, hence two passes through a
// probability matrix P [HW, HW] in a scratch buffer (HW ≤ 1024 at the latent grid).
//
// Bindings: 0 Params (uniform), 1 qkv f32 [3C, HW] at element qkvOff (read),
//           2 P f32 [HW, HW] (read_write in the scores pass, read in the output pass), 3 out f32 [C, HW] at outOff (read_write).
// SCORES=1:  one workgroup per query row i (HW workgroups): scores, max, exp, sum, normalize into P[i, :].
// SCORES=0:  one thread per output (c, i): the P-weighted sum of v[c, :].
// Defines: SCORES (1: pass 1, 0: pass 2), WG (threads, a power of two).

struct Params {
  C: u32,
  HW: u32,
  qkvOff: u32,
  outOff: u32,
  scale: f32,
  nx: u32,   // workgroups along x (output pass, 2D-folded)
}

@group(0) @binding(0) var<uniform> P_: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
#if SCORES
@group(0) @binding(2) var<storage, read_write> prob: array<f32>;
#else
@group(0) @binding(2) var<storage, read> prob: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

#if SCORES
var<workgroup> red: array<f32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x;
  let HW = P_.HW;
  let kBase = P_.qkvOff + P_.C * HW;
  var m = -3.4e38;
  for (var j = lid; j < HW; j += {{WG}}u) {
    var s = 0.0;
    for (var c = 0u; c < P_.C; c++) {
      s += qkv[P_.qkvOff + c * HW + i] * qkv[kBase + c * HW + j];
    }
    s *= P_.scale;
    prob[i * HW + j] = s;
    m = max(m, s);
  }
  red[lid] = m;
  workgroupBarrier();
  for (var w = {{WG}}u / 2u; w > 0u; w >>= 1u) {
    if (lid < w) { red[lid] = max(red[lid], red[lid + w]); }
    workgroupBarrier();
  }
  let rowMax = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var j = lid; j < HW; j += {{WG}}u) {
    let e = exp(prob[i * HW + j] - rowMax);
    prob[i * HW + j] = e;
    sum += e;
  }
  red[lid] = sum;
  workgroupBarrier();
  for (var w = {{WG}}u / 2u; w > 0u; w >>= 1u) {
    if (lid < w) { red[lid] += red[lid + w]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];
  for (var j = lid; j < HW; j += {{WG}}u) {
    prob[i * HW + j] *= inv;
  }
}
#else
@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * P_.nx + wid.x) * {{WG}}u + lid;
  let HW = P_.HW;
  if (t >= P_.C * HW) { return; }
  let c = t / HW;
  let i = t % HW;
  let vBase = P_.qkvOff + 2u * P_.C * HW + c * HW;
  var acc = 0.0;
  for (var j = 0u; j < HW; j++) {
    acc += prob[i * HW + j] * qkv[vBase + j];
  }
  out[P_.outOff + c * HW + i] = acc;
}
#endif
