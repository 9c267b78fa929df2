// Linear layer, register-tiled path (many rows: one scale's tokens):
//   y[M,N] = x[M,K] · W[N,K]ᵀ (+ bias[N]) (+ residual[M,N])
//
// Bindings: 0 Params (uniform), 1 x f32 [M,K] (read), 2 w (read): f32 [N,K], or u32 words
//           [N,kw] holding f16 pairs (W_F16) or int8 quads (W_Q8), 3 scales f32 [N,groups]
//           (W_Q8; any buffer otherwise), 4 bias f32 [N] (BIAS; any buffer otherwise),
//           5 residual f32 [M,N] (RES_BUF; any buffer otherwise), 6 y f32 [M,N] (read_write).
//           RES_INPLACE adds y's own previous contents instead (y += x·Wᵀ).
// Packing: W_F16 row n holds kw = ceil(K/2) words, element 2i in the low 16 bits of word i.
//          W_Q8 row n holds kw = ceil(K/4) words, element 4i in the low byte of word i (int8,
//          two's complement), dequantized as q·scales[n, k/32]. Lanes past K are masked here, so
//          the padding never reaches the sum whatever it holds.
// Dispatch: (ceil(N/BN), ceil(M/BM)) workgroups of (BN/TN)·(BM/TM) threads; thread (tx, ty)
//           owns rows m0+ty·TM.. and columns n0+tx·TN.. of the workgroup's BM×BN tile.
// Algorithm: per TK-slice of K, the workgroup stages x[BM,TK] and W[BN,TK] (dequantized to f32)
//           k-major in workgroup memory as vec4s along M/N, then each thread accumulates its
//           TM×TN outer products in registers. Bounds are handled while staging (zeros), so the
//           inner loop has no branches.

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
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if W_F32
@group(0) @binding(2) var<storage, read> w: array<f32>;
#else
@group(0) @binding(2) var<storage, read> w: array<u32>;
#endif
@group(0) @binding(3) var<storage, read> scales: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> resid: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

const BM = {{BM}}u;
const BN = {{BN}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const TK = {{TK}}u;
const WX = BN / TN;
const THREADS = (BM / TM) * (BN / TN);
const BM4 = BM / 4u;
const BN4 = BN / 4u;
const TM4 = TM / 4u;
const TN4 = TN / 4u;

// xs[k·BM4 + m/4][m%4] = x[m0+m, k0+k]; ws likewise for W rows.
var<workgroup> xs: array<vec4<f32>, TK * BM4>;
var<workgroup> ws: array<vec4<f32>, TK * BN4>;

fn x_at(m: u32, k: u32) -> f32 {
  if (m < P.M && k < P.K) { return x[P.x_off + m * P.K + k]; }
  return 0.0;
}

#if W_F32
fn w_at(n: u32, k: u32) -> f32 {
  if (n < P.N && k < P.K) { return w[P.w_off + n * P.kw + k]; }
  return 0.0;
}
#elif W_F16
// Elements 2j and 2j+1 of row n.
fn w_pair(n: u32, j: u32) -> vec2<f32> {
  if (n >= P.N || j >= P.kw) { return vec2<f32>(0.0); }
  let v = unpack2x16float(w[P.w_off + n * P.kw + j]);
  return select(vec2<f32>(v.x, 0.0), v, 2u * j + 1u < P.K);
}
#elif W_Q8
// Elements 4j..4j+3 of row n, dequantized (all four share one scale group: 32 % 4 == 0).
fn w_quad(n: u32, j: u32) -> vec4<f32> {
  if (n >= P.N || j >= P.kw) { return vec4<f32>(0.0); }
  let q = bitcast<i32>(w[P.w_off + n * P.kw + j]);
  let s = scales[P.s_off + n * P.groups + j / 8u];
  let v = vec4<f32>(f32(extractBits(q, 0u, 8u)), f32(extractBits(q, 8u, 8u)), f32(extractBits(q, 16u, 8u)), f32(extractBits(q, 24u, 8u))) * s;
  let k = 4u * j;
  return select(vec4<f32>(0.0), v, vec4<u32>(k, k + 1u, k + 2u, k + 3u) < vec4<u32>(P.K));
}
#endif

fn stage(m0: u32, n0: u32, k0: u32, lid: u32) {
  for (var i = lid; i < TK * BM4; i += THREADS) {
    let m = m0 + (i % BM4) * 4u;
    let k = k0 + i / BM4;
    xs[i] = vec4<f32>(x_at(m, k), x_at(m + 1u, k), x_at(m + 2u, k), x_at(m + 3u, k));
  }
#if W_F32
  for (var i = lid; i < TK * BN4; i += THREADS) {
    let n = n0 + (i % BN4) * 4u;
    let k = k0 + i / BN4;
    ws[i] = vec4<f32>(w_at(n, k), w_at(n + 1u, k), w_at(n + 2u, k), w_at(n + 3u, k));
  }
#elif W_F16
  for (var i = lid; i < (TK / 2u) * BN4; i += THREADS) {
    let c = i % BN4;
    let kp = i / BN4;
    let n = n0 + c * 4u;
    let j = k0 / 2u + kp;
    let a = w_pair(n, j);
    let b = w_pair(n + 1u, j);
    let d = w_pair(n + 2u, j);
    let e = w_pair(n + 3u, j);
    ws[(2u * kp) * BN4 + c] = vec4<f32>(a.x, b.x, d.x, e.x);
    ws[(2u * kp + 1u) * BN4 + c] = vec4<f32>(a.y, b.y, d.y, e.y);
  }
#elif W_Q8
  for (var i = lid; i < (TK / 4u) * BN4; i += THREADS) {
    let c = i % BN4;
    let kq = i / BN4;
    let n = n0 + c * 4u;
    let j = k0 / 4u + kq;
    let a = w_quad(n, j);
    let b = w_quad(n + 1u, j);
    let d = w_quad(n + 2u, j);
    let e = w_quad(n + 3u, j);
    ws[(4u * kq) * BN4 + c] = vec4<f32>(a.x, b.x, d.x, e.x);
    ws[(4u * kq + 1u) * BN4 + c] = vec4<f32>(a.y, b.y, d.y, e.y);
    ws[(4u * kq + 2u) * BN4 + c] = vec4<f32>(a.z, b.z, d.z, e.z);
    ws[(4u * kq + 3u) * BN4 + c] = vec4<f32>(a.w, b.w, d.w, e.w);
  }
#endif
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = wid.x * BN;
  let m0 = wid.y * BM;
  let tx = lid % WX;
  let ty = lid / WX;
  var acc: array<vec4<f32>, TM * TN4>; // acc[r·TN4 + c] = y[m0+ty·TM+r, n0+tx·TN+4c..+4]
  for (var k0 = 0u; k0 < P.K; k0 += TK) {
    stage(m0, n0, k0, lid);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<vec4<f32>, TM4>;
      var b: array<vec4<f32>, TN4>;
      for (var i = 0u; i < TM4; i++) { a[i] = xs[kk * BM4 + ty * TM4 + i]; }
      for (var i = 0u; i < TN4; i++) { b[i] = ws[kk * BN4 + tx * TN4 + i]; }
      for (var r = 0u; r < TM; r++) {
        let av = vec4<f32>(a[r / 4u][r % 4u]);
        for (var c = 0u; c < TN4; c++) { acc[r * TN4 + c] = fma(av, b[c], acc[r * TN4 + c]); }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + ty * TM + r;
    if (m >= P.M) { break; }
    for (var c = 0u; c < TN; c++) {
      let n = n0 + tx * TN + c;
      if (n >= P.N) { break; }
      var v = acc[r * TN4 + c / 4u][c % 4u];
#if BIAS
      v += bias[P.b_off + n];
#endif
#if RES_BUF
      v += resid[P.r_off + m * P.N + n];
#elif RES_INPLACE
      v += y[P.y_off + m * P.N + n];
#endif
      y[P.y_off + m * P.N + n] = v;
    }
  }
}
