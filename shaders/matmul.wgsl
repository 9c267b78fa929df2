#if QUAD
enable subgroups;
#endif
// Linear layer, register-tiled path (many rows: one scale's tokens):
//   y[M,N] = x[M,K] · W[N,K]ᵀ (+ bias[N]) (+ residual[M,N])
//
// Bindings: 0 Params (uniform), 1 x f32 [M,K] (read), 2 w (read): f32 [N,K], or u32 words
//           [N,kw] holding f16 pairs (W_F16) or int8 quads (W_Q8), 3 scales f32 [N,groups]
//           (W_Q8; any buffer otherwise), 4 bias f32 [N] (EPI_BIAS; any buffer otherwise),
//           5 residual f32 [M,N] (EPI_RES_BUF; any buffer otherwise), 6 y f32 [M,N] (read_write).
//           EPI_RES_INPLACE adds y's own previous contents instead (y += x·Wᵀ).
// Packing: W_F16 row n holds kw = ceil(K/2) words, element 2i in the low 16 bits of word i.
//          W_Q8 row n holds kw = ceil(K/4) words, element 4i in the low byte of word i (int8,
//          two's complement), dequantized as q·scales[n, k/32]. Lanes past K are masked here, so
//          the padding never reaches the sum whatever it holds.
// Dispatch: (ceil(N/BN), ceil(M/BM)) workgroups of (BN/8)·(BM/16) threads. Thread (tx, ty) owns
//           the 16×8 block rows m0+16·ty+r, columns n0+tx+WX·j (r < 16, j < 8; WX = BN/8).
// Algorithm: per TK-slice of K, the workgroup stages x as xs[m][k] and W (dequantized to f32) as
//           ws[k][n] in workgroup memory, zeros outside the matrices, then each thread adds its
//           16×8 outer products in 32 vec4 registers, unrolled by hand.
//           Why this layout: a CPU emulator (SwiftShader) runs 4 neighbouring invocations as SIMD
//           lanes and turns a load into one vector load only when the lanes' addresses are equal
//           or consecutive; otherwise it gathers lane by lane. Neighbours share ty (equal x
//           addresses) and have consecutive tx (consecutive W columns), and staging walks K (x)
//           or N (ws) with the lane index. With QUAD (the subgroups feature), the 4 lanes of a
//           quad load 4 different x rows and share them by quadBroadcast, a register shuffle,
//           instead of each lane loading all 16: this assumes a quad is 4 consecutive
//           local_invocation_index values with one ty, true of every implementation we know
//           (the tests check it on the device they run on).

struct Params {
  M: u32,       // rows of x and y
  N: u32,       // output features (rows of W)
  K: u32,       // input features
  kw: u32,      // 4-byte words per W row: K (f32), ceil(K/2) (f16), ceil(K/4) (q8)
  groups: u32,  // scale groups per W row (q8): ceil(K/32)
  x_off: u32,   // offset of x in its binding, in f32 elements
  w_off: u32,   // offset of W in its binding, in 4-byte words
  s_off: u32,   // offset of scales in its binding, in f32 elements
  b_off: u32,   // offset of bias in its binding, in f32 elements
  r_off: u32,   // offset of residual in its binding, in f32 elements
  y_off: u32,   // offset of y in its binding, in f32 elements
  epi: u32,     // epilogue: EPI_BIAS | EPI_RES_BUF | EPI_RES_INPLACE (uniform, not defines: see below)
}

@group(0) @binding(0) var<uniform> P: Params;

// Epilogue flags. They are uniforms rather than defines: one branch per output element is nothing
// next to the K-long sum, while each define variant is another pipeline to compile (~2.5 s for
// this shader on SwiftShader, paid on every page load).
const EPI_BIAS = 1u;
const EPI_RES_BUF = 2u;
const EPI_RES_INPLACE = 4u;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if W_F32
@group(0) @binding(2) var<storage, read> w: array<f32>;
#else
@group(0) @binding(2) var<storage, read> w: array<u32>;
#endif
@group(0) @binding(3) var<storage, read> scales: array<f32>;
#include "lib/q8.wgsl"
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> resid: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

const BM = {{BM}}u;
const BN = {{BN}}u;
const TK = {{TK}}u;
const WX = BN / 8u;
const THREADS = (BM / 16u) * WX;

var<workgroup> xs: array<f32, BM * TK>; // xs[m·TK + k] = x[m0+m, k0+k]
var<workgroup> ws: array<f32, TK * BN>; // ws[k·BN + n] = W[n0+n, k0+k]

// Out-of-range reads load a clamped in-bounds address and are zeroed by select: no branches,
// so SIMD lanes never diverge here.
fn x_at(m: u32, k: u32) -> f32 {
  let v = x[P.x_off + min(m, P.M - 1u) * P.K + min(k, P.K - 1u)];
  return select(0.0, v, m < P.M && k < P.K);
}

#if W_F32
fn w_at(n: u32, k: u32) -> f32 {
  let v = w[P.w_off + min(n, P.N - 1u) * P.kw + min(k, P.K - 1u)];
  return select(0.0, v, n < P.N && k < P.K);
}
#elif W_F16
// Elements 2j and 2j+1 of row n.
fn w_pair(n: u32, j: u32) -> vec2<f32> {
  let v = unpack2x16float(w[P.w_off + min(n, P.N - 1u) * P.kw + min(j, P.kw - 1u)]);
  return select(vec2<f32>(0.0), v, vec2<bool>(n < P.N && 2u * j < P.K, n < P.N && 2u * j + 1u < P.K));
}
#elif W_Q8
// Elements 4j..4j+3 of row n, dequantized (all four share one scale group: 32 % 4 == 0).
fn w_quad(n: u32, j: u32) -> vec4<f32> {
  let nc = min(n, P.N - 1u);
  let jc = min(j, P.kw - 1u);
  let v = dequant_q8(w[P.w_off + nc * P.kw + jc], scales[P.s_off + nc * P.groups + jc / 8u]);
  let k = 4u * j;
  return select(vec4<f32>(0.0), v, (vec4<u32>(k, k + 1u, k + 2u, k + 3u) < vec4<u32>(P.K)) & vec4<bool>(n < P.N));
}
#endif

fn stage(m0: u32, n0: u32, k0: u32, lid: u32) {
  for (var i = lid; i < BM * TK; i += THREADS) {
    xs[i] = x_at(m0 + i / TK, k0 + i % TK);
  }
#if W_F32
  for (var i = lid; i < TK * BN; i += THREADS) {
    ws[i] = w_at(n0 + i % BN, k0 + i / BN);
  }
#elif W_F16
  for (var i = lid; i < (TK / 2u) * BN; i += THREADS) {
    let n = i % BN;
    let jp = i / BN;
    let v = w_pair(n0 + n, k0 / 2u + jp);
    ws[(2u * jp) * BN + n] = v.x;
    ws[(2u * jp + 1u) * BN + n] = v.y;
  }
#elif W_Q8
  for (var i = lid; i < (TK / 4u) * BN; i += THREADS) {
    let n = i % BN;
    let jq = i / BN;
    let v = w_quad(n0 + n, k0 / 4u + jq);
    ws[(4u * jq) * BN + n] = v.x;
    ws[(4u * jq + 1u) * BN + n] = v.y;
    ws[(4u * jq + 2u) * BN + n] = v.z;
    ws[(4u * jq + 3u) * BN + n] = v.w;
  }
#endif
}

@compute @workgroup_size(THREADS)
#if QUAD
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sg_lane: u32) {
  let lane = sg_lane & 3u;
#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#endif
  let n0 = wid.x * BN;
  let m0 = wid.y * BM;
  let tx = lid % WX;
  let ty = lid / WX;
  // cR_h: row 16·ty+R, columns tx+WX·(4h..4h+3).
  var c0_0 = vec4<f32>(0.0);
  var c0_1 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0);
  var c1_1 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0);
  var c2_1 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0);
  var c3_1 = vec4<f32>(0.0);
  var c4_0 = vec4<f32>(0.0);
  var c4_1 = vec4<f32>(0.0);
  var c5_0 = vec4<f32>(0.0);
  var c5_1 = vec4<f32>(0.0);
  var c6_0 = vec4<f32>(0.0);
  var c6_1 = vec4<f32>(0.0);
  var c7_0 = vec4<f32>(0.0);
  var c7_1 = vec4<f32>(0.0);
  var c8_0 = vec4<f32>(0.0);
  var c8_1 = vec4<f32>(0.0);
  var c9_0 = vec4<f32>(0.0);
  var c9_1 = vec4<f32>(0.0);
  var c10_0 = vec4<f32>(0.0);
  var c10_1 = vec4<f32>(0.0);
  var c11_0 = vec4<f32>(0.0);
  var c11_1 = vec4<f32>(0.0);
  var c12_0 = vec4<f32>(0.0);
  var c12_1 = vec4<f32>(0.0);
  var c13_0 = vec4<f32>(0.0);
  var c13_1 = vec4<f32>(0.0);
  var c14_0 = vec4<f32>(0.0);
  var c14_1 = vec4<f32>(0.0);
  var c15_0 = vec4<f32>(0.0);
  var c15_1 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    stage(m0, n0, k0, lid);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let wc = kk * BN + tx;
      let b0 = vec4<f32>(ws[wc], ws[wc + WX], ws[wc + 2u * WX], ws[wc + 3u * WX]);
      let b1 = vec4<f32>(ws[wc + 4u * WX], ws[wc + 5u * WX], ws[wc + 6u * WX], ws[wc + 7u * WX]);
#if QUAD
      let xr = (16u * ty + lane) * TK + kk; // this lane's rows: 4q + lane
      let v0 = xs[xr + 0u * TK];
      let v1 = xs[xr + 4u * TK];
      let v2 = xs[xr + 8u * TK];
      let v3 = xs[xr + 12u * TK];
      let a0 = vec4<f32>(quadBroadcast(v0, 0u));
      let a1 = vec4<f32>(quadBroadcast(v0, 1u));
      let a2 = vec4<f32>(quadBroadcast(v0, 2u));
      let a3 = vec4<f32>(quadBroadcast(v0, 3u));
      let a4 = vec4<f32>(quadBroadcast(v1, 0u));
      let a5 = vec4<f32>(quadBroadcast(v1, 1u));
      let a6 = vec4<f32>(quadBroadcast(v1, 2u));
      let a7 = vec4<f32>(quadBroadcast(v1, 3u));
      let a8 = vec4<f32>(quadBroadcast(v2, 0u));
      let a9 = vec4<f32>(quadBroadcast(v2, 1u));
      let a10 = vec4<f32>(quadBroadcast(v2, 2u));
      let a11 = vec4<f32>(quadBroadcast(v2, 3u));
      let a12 = vec4<f32>(quadBroadcast(v3, 0u));
      let a13 = vec4<f32>(quadBroadcast(v3, 1u));
      let a14 = vec4<f32>(quadBroadcast(v3, 2u));
      let a15 = vec4<f32>(quadBroadcast(v3, 3u));
#else
      let xr = (16u * ty) * TK + kk;
      let a0 = vec4<f32>(xs[xr + 0u * TK]);
      let a1 = vec4<f32>(xs[xr + 1u * TK]);
      let a2 = vec4<f32>(xs[xr + 2u * TK]);
      let a3 = vec4<f32>(xs[xr + 3u * TK]);
      let a4 = vec4<f32>(xs[xr + 4u * TK]);
      let a5 = vec4<f32>(xs[xr + 5u * TK]);
      let a6 = vec4<f32>(xs[xr + 6u * TK]);
      let a7 = vec4<f32>(xs[xr + 7u * TK]);
      let a8 = vec4<f32>(xs[xr + 8u * TK]);
      let a9 = vec4<f32>(xs[xr + 9u * TK]);
      let a10 = vec4<f32>(xs[xr + 10u * TK]);
      let a11 = vec4<f32>(xs[xr + 11u * TK]);
      let a12 = vec4<f32>(xs[xr + 12u * TK]);
      let a13 = vec4<f32>(xs[xr + 13u * TK]);
      let a14 = vec4<f32>(xs[xr + 14u * TK]);
      let a15 = vec4<f32>(xs[xr + 15u * TK]);
#endif
      c0_0 = fma(a0, b0, c0_0);
      c0_1 = fma(a0, b1, c0_1);
      c1_0 = fma(a1, b0, c1_0);
      c1_1 = fma(a1, b1, c1_1);
      c2_0 = fma(a2, b0, c2_0);
      c2_1 = fma(a2, b1, c2_1);
      c3_0 = fma(a3, b0, c3_0);
      c3_1 = fma(a3, b1, c3_1);
      c4_0 = fma(a4, b0, c4_0);
      c4_1 = fma(a4, b1, c4_1);
      c5_0 = fma(a5, b0, c5_0);
      c5_1 = fma(a5, b1, c5_1);
      c6_0 = fma(a6, b0, c6_0);
      c6_1 = fma(a6, b1, c6_1);
      c7_0 = fma(a7, b0, c7_0);
      c7_1 = fma(a7, b1, c7_1);
      c8_0 = fma(a8, b0, c8_0);
      c8_1 = fma(a8, b1, c8_1);
      c9_0 = fma(a9, b0, c9_0);
      c9_1 = fma(a9, b1, c9_1);
      c10_0 = fma(a10, b0, c10_0);
      c10_1 = fma(a10, b1, c10_1);
      c11_0 = fma(a11, b0, c11_0);
      c11_1 = fma(a11, b1, c11_1);
      c12_0 = fma(a12, b0, c12_0);
      c12_1 = fma(a12, b1, c12_1);
      c13_0 = fma(a13, b0, c13_0);
      c13_1 = fma(a13, b1, c13_1);
      c14_0 = fma(a14, b0, c14_0);
      c14_1 = fma(a14, b1, c14_1);
      c15_0 = fma(a15, b0, c15_0);
      c15_1 = fma(a15, b1, c15_1);
    }
    workgroupBarrier();
  }
  let acc = array<vec4<f32>, 32>(c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1, c12_0, c12_1, c13_0, c13_1, c14_0, c14_1, c15_0, c15_1);
  for (var r = 0u; r < 16u; r++) {
    let m = m0 + 16u * ty + r;
    if (m >= P.M) { break; }
    for (var j = 0u; j < 8u; j++) {
      let n = n0 + tx + WX * j;
      if (n >= P.N) { break; }
      var v = acc[2u * r + j / 4u][j % 4u];
      if ((P.epi & EPI_BIAS) != 0u) { v += bias[P.b_off + n]; }
      if ((P.epi & EPI_RES_BUF) != 0u) {
        v += resid[P.r_off + m * P.N + n];
      } else if ((P.epi & EPI_RES_INPLACE) != 0u) {
        v += y[P.y_off + m * P.N + n];
      }
      y[P.y_off + m * P.N + n] = v;
    }
  }
}
