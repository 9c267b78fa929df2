#if QUAD
enable subgroups;
#endif
// Linear layer, matrix-vector path (few rows: text decoding, M = 1, or 2 with CFG):
//   y[M,N] = x[M,K] · W[N,K]ᵀ (+ bias[N]) (+ residual[M,N]),  M ≤ 4
//
// Bindings and weight packing: exactly as matmul.wgsl (0 Params, 1 x, 2 w, 3 scales, 4 bias,
//           5 residual, 6 y), so the TypeScript binds both paths the same way.
// Dispatch: ceil(N / (G·COLS)) workgroups of 4·G threads, folded into (x, y) as (nx, ny) when over
//           the per-dimension limit; workgroup w = y·nx + x owns columns w·G·COLS ..
//           (w+1)·G·COLS - 1. ROWS (1, 2 or 4, the smallest ≥ M) is a compile-time row count so the
//           accumulators stay in registers: at most three pipelines per dtype, whatever the shapes.
// Algorithm: a quad of 4 threads owns COLS columns and splits K among its lanes, in quads of 4
//           elements (lane l takes quads l, l+4, ...), keeping COLS·ROWS partial dot products;
//           each x quad is reused for all COLS columns, each W quad for all rows. The 4 partials
//           are summed with quadSwapX/quadSwapY when subgroups exist (QUAD), else through
//           workgroup memory. Why quads and not a whole workgroup per column: on CPU-emulated GPUs
//           (SwiftShader) a barrier makes every workgroup a set of coroutines, which cost far
//           more than a GEMV's arithmetic; the QUAD variant has no barrier at all.

struct Params {
  M: u32,       // rows of x and y (≤ ROWS)
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
  nx: u32,      // workgroups along x of the folded dispatch
}

@group(0) @binding(0) var<uniform> P: Params;

// Epilogue flags. They are uniforms rather than defines: one branch per output element is nothing
// next to the K-long sum, while each define variant is another pipeline to compile on every page
// load (matmul.wgsl, which shares these flags, takes ~2.5 s per variant on SwiftShader).
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

const G = {{G}}u;          // column groups (quads) per workgroup
const COLS = {{COLS}}u;    // columns per quad
const ROWS = {{ROWS}}u;    // rows computed (≥ M)
const OUTS = COLS * ROWS;

#if !QUAD
var<workgroup> part: array<f32, 4u * G * OUTS>; // part[(g·OUTS + o)·4 + lane]
#endif

// Elements 4q..4q+3 of x row m (zeros past K or M).
fn x_quad(m: u32, q: u32) -> vec4<f32> {
  if (m >= P.M) { return vec4<f32>(0.0); }
  let k = 4u * q;
  let base = P.x_off + m * P.K + k;
  if (k + 3u < P.K) { return vec4<f32>(x[base], x[base + 1u], x[base + 2u], x[base + 3u]); }
  var v = vec4<f32>(0.0);
  for (var e = 0u; k + e < P.K; e++) { v[e] = x[base + e]; }
  return v;
}

// Elements 4q..4q+3 of W row n, dequantized to f32 (zeros past K or N).
fn w_quad(n: u32, q: u32) -> vec4<f32> {
  if (n >= P.N) { return vec4<f32>(0.0); }
  let k = 4u * q;
  let live = vec4<u32>(k, k + 1u, k + 2u, k + 3u) < vec4<u32>(P.K);
#if W_F32
  let base = P.w_off + n * P.kw + k;
  if (k + 3u < P.K) { return vec4<f32>(w[base], w[base + 1u], w[base + 2u], w[base + 3u]); }
  var v = vec4<f32>(0.0);
  for (var e = 0u; k + e < P.K; e++) { v[e] = w[base + e]; }
  return v;
#elif W_F16
  let base = P.w_off + n * P.kw + 2u * q;
  let lo = unpack2x16float(w[base]);
  var hi = vec2<f32>(0.0);
  if (2u * q + 1u < P.kw) { hi = unpack2x16float(w[base + 1u]); }
  return select(vec4<f32>(0.0), vec4<f32>(lo, hi), live);
#elif W_Q8
  let v = dequant_q8(w[P.w_off + n * P.kw + q], scales[P.s_off + n * P.groups + q / 8u]);
  return select(vec4<f32>(0.0), v, live);
#endif
}

@compute @workgroup_size(4 * G)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lane = lid & 3u;
  let g = lid >> 2u;
  let n0 = ((wid.y * P.nx + wid.x) * G + g) * COLS;
  let quads = (P.K + 3u) / 4u;
  var acc: array<f32, OUTS>; // acc[c·ROWS + m]
  for (var q = lane; q < quads; q += 4u) {
    var xq: array<vec4<f32>, ROWS>;
    for (var m = 0u; m < ROWS; m++) { xq[m] = x_quad(m, q); }
    for (var c = 0u; c < COLS; c++) {
      let wq = w_quad(n0 + c, q);
      for (var m = 0u; m < ROWS; m++) { acc[c * ROWS + m] += dot(xq[m], wq); }
    }
  }
#if QUAD
  for (var o = 0u; o < OUTS; o++) {
    let v = acc[o] + quadSwapX(acc[o]);
    acc[o] = v + quadSwapY(v);
  }
#else
  for (var o = 0u; o < OUTS; o++) { part[(g * OUTS + o) * 4u + lane] = acc[o]; }
  workgroupBarrier();
  for (var o = 0u; o < OUTS; o++) {
    let i = (g * OUTS + o) * 4u;
    acc[o] = (part[i] + part[i + 1u]) + (part[i + 2u] + part[i + 3u]);
  }
#endif
  // Every lane holds the sums; lane l writes the outputs o ≡ l (mod 4).
  for (var o = lane; o < OUTS; o += 4u) {
    let n = n0 + o / ROWS;
    let m = o % ROWS;
    if (n >= P.N || m >= P.M) { continue; }
    var v = acc[o];
    if ((P.epi & EPI_BIAS) != 0u) { v += bias[P.b_off + n]; }
    if ((P.epi & EPI_RES_BUF) != 0u) {
      v += resid[P.r_off + m * P.N + n];
    } else if ((P.epi & EPI_RES_INPLACE) != 0u) {
      v += y[P.y_off + m * P.N + n];
    }
    y[P.y_off + m * P.N + n] = v;
  }
}
