// 2D convolution, stride 1, "same" padding (k/2), NCHW, as an implicit GEMM with a fused epilogue:
//   out[b, co, p] (= or +=) α·(Σ_{ci,ky,kx} W[co, ci, ky, kx]·x[b, ci, p + (ky,kx) − pad] + bias[co])
//                           + β·skip[b, co, p]
// which covers VAR's phi update f_hat += 0.5·h + 0.5·(conv3x3(h) + b) and ResBlock residuals.
//
// Bindings: 0 Params (uniform), 1 x f32 [B, Cin, H, W] (read), 2 w [Cout, Cin, KS, KS] at element
//           offset wOff: f32, or f16 packed two per u32 (W_F16; element e in the low half of word
//           e/2 when e is even), 3 bias [Cout] at element offset bOff, f32 or packed f16 (B_F16)
//           (any buffer without FLAG_BIAS), 4 skip f32 [B, Cout, H, W] (any buffer without FLAG_SKIP),
//           5 out f32 [B, Cout, H, W] (read_write).
// Params:   B, Cin, Cout, H, W (pixels); wOff, bOff (elements, relative to the bound windows);
//           alpha, beta (f32); flags (bits: 1 bias, 2 skip, 4 accumulate into out).
// Dispatch: (ceil(H·W / TN), ceil(Cout / TM), B) workgroups of NT = (TM/8)·(TN/8) threads.
// Algorithm: GEMM with M = Cout, N = H·W pixels, K = Cin·KS². Per step the workgroup stages
//           TK = CI·KS² rows of K (CI input channels × all taps), weights as As[k][m] (vec4s of 4
//           channels) and the implicit im2col of x as Bs[k][n] (zeros outside the image, past
//           Cin and past H·W); each thread then accumulates 8 output channels × 8 pixels in 16
//           vec4 registers. Thread (tx, ty) owns channels m0+8·ty.. and pixels n0+tx+WX·j: on
//           SwiftShader 4 neighbouring invocations are SIMD lanes and a load is one vector load
//           only when the lanes' addresses are equal or consecutive, so neighbours share ty
//           (equal As addresses) and read consecutive Bs columns. When NT is a multiple of TN
//           each thread stages one fixed pixel column, so its (y, x) is computed once.
// Defines:  KS (1 or 3), CI, TM, TN, W_F16, B_F16.

struct Params {
  B: u32,
  Cin: u32,
  Cout: u32,
  H: u32,
  W: u32,
  wOff: u32,   // elements (f16 halves when W_F16)
  bOff: u32,   // elements (f16 halves when B_F16)
  alpha: f32,
  beta: f32,
  flags: u32,  // FLAG_BIAS | FLAG_SKIP | FLAG_ACCUM
}

// Epilogue options are uniform flags, not defines: the branches are uniform and only in the
// epilogue, and every define multiplies the pipelines SwiftShader compiles (seconds each).
const FLAG_BIAS = 1u;
const FLAG_SKIP = 2u;
const FLAG_ACCUM = 4u;

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if W_F16
@group(0) @binding(2) var<storage, read> wt: array<u32>;
#else
@group(0) @binding(2) var<storage, read> wt: array<f32>;
#endif
#if B_F16
@group(0) @binding(3) var<storage, read> bias: array<u32>;
#else
@group(0) @binding(3) var<storage, read> bias: array<f32>;
#endif
@group(0) @binding(4) var<storage, read> skip: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const KS = {{KS}}u;
const KK = KS * KS;
const PAD = i32(KS / 2u);
const CI = {{CI}}u;
const TK = CI * KK;
const TM = {{TM}}u;
const TN = {{TN}}u;
const RM = 8u;                 // the 8×8 register tile is written out below
const RN = 8u;
const TM4 = TM / 4u;
const WX = TN / RN;            // threads along pixels
const NT = (TM / RM) * WX;     // threads per workgroup
const FIXED_COL = NT % TN == 0u; // each thread stages one fixed pixel column

var<workgroup> As: array<vec4<f32>, TK * TM4>;  // As[k·TM4 + m/4][m%4] = W[m0+m, k0+k]
var<workgroup> Bs: array<f32, TK * TN>;          // Bs[k·TN + n] = im2col(x)[k0+k, n0+n]

fn weight(e: u32) -> f32 {
#if W_F16
  let pair = unpack2x16float(wt[e >> 1u]);
  return select(pair.x, pair.y, (e & 1u) == 1u);
#else
  return wt[e];
#endif
}

fn biasAt(e: u32) -> f32 {
#if B_F16
  let pair = unpack2x16float(bias[e >> 1u]);
  return select(pair.x, pair.y, (e & 1u) == 1u);
#else
  return bias[e];
#endif
}

@compute @workgroup_size(NT)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let HW = P.H * P.W;
  let K = P.Cin * KK;
  let n0 = wid.x * TN;
  let m0 = wid.y * TM;
  let b = wid.z;
  let tx = lid % WX;
  let ty = lid / WX;

  // Staging of Bs: element e = r·TN + n goes to thread e % NT. When NT % TN == 0 the thread's
  // column n is always lid % TN, and its pixel's (y, x) is computed here once.
  let fixedN = lid % TN;
  let fixedPix = n0 + fixedN;
  let fixedY = i32(fixedPix / P.W);
  let fixedX = i32(fixedPix % P.W);
  let xBase = b * P.Cin * HW;

  var c00 = vec4<f32>(0.0);
  var c01 = vec4<f32>(0.0);
  var c10 = vec4<f32>(0.0);
  var c11 = vec4<f32>(0.0);
  var c20 = vec4<f32>(0.0);
  var c21 = vec4<f32>(0.0);
  var c30 = vec4<f32>(0.0);
  var c31 = vec4<f32>(0.0);
  var c40 = vec4<f32>(0.0);
  var c41 = vec4<f32>(0.0);
  var c50 = vec4<f32>(0.0);
  var c51 = vec4<f32>(0.0);
  var c60 = vec4<f32>(0.0);
  var c61 = vec4<f32>(0.0);
  var c70 = vec4<f32>(0.0);
  var c71 = vec4<f32>(0.0);
  for (var ci0 = 0u; ci0 < P.Cin; ci0 += CI) {
    for (var e = lid; e < TK * TM4; e += NT) {
      let r = e % TK;           // consecutive threads read consecutive k of one weight row
      let mg = e / TK;
      let ci = ci0 + r / KK;
      let co = vec4<u32>(m0 + 4u * mg) + vec4<u32>(0u, 1u, 2u, 3u);
      let ok = (co < vec4<u32>(P.Cout)) & vec4<bool>(ci < P.Cin);
      let kIdx = ci0 * KK + r;
      // Out-of-range lanes read a clamped in-range element and are zeroed by select.
      let coc = min(co, vec4<u32>(P.Cout - 1u));
      let kc = min(kIdx, K - 1u);
      let v = vec4<f32>(weight(P.wOff + coc.x * K + kc), weight(P.wOff + coc.y * K + kc),
                        weight(P.wOff + coc.z * K + kc), weight(P.wOff + coc.w * K + kc));
      As[r * TM4 + mg] = select(vec4<f32>(0.0), v, ok);
    }
    for (var e = lid; e < TK * TN; e += NT) {
      let r = e / TN;
      let n = select(e % TN, fixedN, FIXED_COL);
      let pix = select(n0 + n, fixedPix, FIXED_COL);
      let py = select(i32(pix / P.W), fixedY, FIXED_COL);
      let px = select(i32(pix % P.W), fixedX, FIXED_COL);
      let ci = ci0 + r / KK;
      let tap = r % KK;
      let iy = py + i32(tap / KS) - PAD;
      let ix = px + i32(tap % KS) - PAD;
      let ok = pix < HW && ci < P.Cin && iy >= 0 && iy < i32(P.H) && ix >= 0 && ix < i32(P.W);
      // Out-of-range elements read a clamped in-range address and are zeroed by select.
      let src = xBase + min(ci, P.Cin - 1u) * HW + u32(select(0, iy * i32(P.W) + ix, ok));
      Bs[r * TN + n] = select(0.0, x[src], ok);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a0 = As[k * TM4 + ty * 2u];       // channels 8·ty..+4 (equal across lanes)
      let a1 = As[k * TM4 + ty * 2u + 1u];
      let bk = k * TN + tx;
      let b0 = vec4<f32>(Bs[bk + 0u * WX]);
      let b1 = vec4<f32>(Bs[bk + 1u * WX]);
      let b2 = vec4<f32>(Bs[bk + 2u * WX]);
      let b3 = vec4<f32>(Bs[bk + 3u * WX]);
      let b4 = vec4<f32>(Bs[bk + 4u * WX]);
      let b5 = vec4<f32>(Bs[bk + 5u * WX]);
      let b6 = vec4<f32>(Bs[bk + 6u * WX]);
      let b7 = vec4<f32>(Bs[bk + 7u * WX]);
      c00 = fma(a0, b0, c00);
      c01 = fma(a1, b0, c01);
      c10 = fma(a0, b1, c10);
      c11 = fma(a1, b1, c11);
      c20 = fma(a0, b2, c20);
      c21 = fma(a1, b2, c21);
      c30 = fma(a0, b3, c30);
      c31 = fma(a1, b3, c31);
      c40 = fma(a0, b4, c40);
      c41 = fma(a1, b4, c41);
      c50 = fma(a0, b5, c50);
      c51 = fma(a1, b5, c51);
      c60 = fma(a0, b6, c60);
      c61 = fma(a1, b6, c61);
      c70 = fma(a0, b7, c70);
      c71 = fma(a1, b7, c71);
    }
    workgroupBarrier();
  }

  let acc = array<vec4<f32>, 16>(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
  for (var r = 0u; r < 8u; r++) {
    let co = m0 + ty * 8u + r;
    if (co >= P.Cout) { break; }
    var bc = 0.0;
    if ((P.flags & FLAG_BIAS) != 0u) { bc = biasAt(P.bOff + co); }
    let rowBase = (b * P.Cout + co) * HW;
    for (var j = 0u; j < 8u; j++) {
      let p = n0 + tx + WX * j;
      if (p >= HW) { break; }
      let o = rowBase + p;
      var v = P.alpha * (acc[j * 2u + r / 4u][r % 4u] + bc);
      if ((P.flags & FLAG_SKIP) != 0u) { v += P.beta * skip[o]; }
      if ((P.flags & FLAG_ACCUM) != 0u) { v += out[o]; }
      out[o] = v;
    }
  }
}
