// Fused attention over a KV cache, flash style: one pass over the keys with an online softmax
// (running max m, running sum l, output rescaled by exp(m_old − m_new) whenever the max grows),
// so the T×kvLen score matrix never exists in memory.
//   out[b,t,h,:] = Σ_j softmax_j(scale · q[b,t,h,:]·k[b,h/G,j,:]) · v[b,h/G,j,:],  j < limit(t)
// Grouped-query attention: query head h reads KV head h / G, G = H / Hkv.
//
// Bindings: 0 Params (uniform),
//           1 q f32 [B, T, ·] (read): token rows of `q_stride` elements, head h at h·D,
//           2 k_cache f32 [B, Hkv, maxLen, D] (read, as vec4),
//           3 v_cache f32 [B, Hkv, maxLen, D] (read, as vec4),
//           4 scale_mul f32 [≥ H] (read; only read with q_norm, otherwise any read-only buffer),
//           5 out f32 [B, T, H, D] (read_write).
// Params:   B, T, H, Hkv, G = H/Hkv; maxLen (cache capacity, tokens); kvLen (valid cache
//           entries); qStart (cache position of query row 0); q_stride (elements); q_off, kc_off4,
//           vc_off4 (vec4 units), o_off, sm_off (element offsets in the bindings); scale (softmax
//           scale); mask (0 none, 1 causal, 2 block); q_norm (0/1); nx (workgroups along x of
//           the folded dispatch).
// Defines:  D (a multiple of 4, ≤ 256); SPLIT (path); WG (split path: a multiple of D/4); BK or SK. The mask and q_norm are uniforms, not
//           defines: they cost a few scalar ops per row, while every extra variant costs
//           seconds of shader compilation on SwiftShader.
// Masks:    causal: row t sees j ≤ qStart + t (text prefill / decoding); block: every row sees
//           j < qStart + T (a scale sees itself bidirectionally and everything earlier); none: j < kvLen.
//           Always also j < kvLen.
// q_norm:   q ← q / max(‖q‖, 1e-12) · exp(min(scale_mul[h], ln 100)) (VAR; pass scale = 1). It is
//           applied as one factor on the scores, folded with scale and log2(e) (scores are kept
//           in base 2 so each weight is one exp2).
//
// Rows path (SPLIT=0, many query rows): one workgroup per (b, KV head, block of WG rows), a row
//   being one (token, query head of the group), so the G heads sharing a KV head share its tiles.
//   Dispatch: B·Hkv·ceil(T·G/WG) workgroups, folded. Each thread holds its q row and output row
//   in registers; per tile of BK keys the workgroup stages K and V in workgroup memory, then every
//   thread walks the tile four keys at a time (one rescale per four keys).
// Split path (SPLIT=1, few rows, e.g. T = 1 decoding): one workgroup per (b, h, t), the keys split
//   across its WG threads. Per chunk of SK keys: each thread scores keys lid, lid+WG, … into
//   workgroup memory; the chunk max is reduced; scores become weights; then thread (lane, quad)
//   accumulates dims 4·quad..+3 over keys lane, lane+LANES, … (LANES = WG·4/D). At the end the
//   LANES partial outputs and sums are combined in workgroup memory.
//   Dispatch: B·H·T workgroups, folded.

struct Params {
  B: u32,
  T: u32,
  H: u32,
  Hkv: u32,
  G: u32,         // H / Hkv
  maxLen: u32,    // cache capacity, in tokens
  kvLen: u32,     // valid cache entries, in tokens
  qStart: u32,    // cache position of query row 0
  q_stride: u32,  // elements between tokens of q
  q_off: u32,     // offset of q in its binding, in elements
  kc_off4: u32,   // offset of k_cache in its binding, in vec4s
  vc_off4: u32,   // offset of v_cache in its binding, in vec4s
  o_off: u32,     // offset of out in its binding, in elements
  sm_off: u32,    // offset of scale_mul in its binding, in elements
  scale: f32,     // softmax scale (1/√D by default; 1 with q_norm)
  mask: u32,      // MASK_NONE | MASK_CAUSAL | MASK_BLOCK
  q_norm: u32,    // 1: VAR q-normalisation with scale_mul
  nx: u32,        // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> scale_mul: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const D4 = {{D}}u / 4u;
const WG = {{WG}}u;
const LOG2E = 1.4426950408889634;
const LN100 = 4.605170185988092;
const NEG = -3.0e38; // stands for −∞: WGSL has no infinity literal
const MASK_NONE = 0u;
const MASK_CAUSAL = 1u;
const MASK_BLOCK = 2u;

// Keys row t may see: j < row_limit(t).
fn row_limit(t: u32) -> u32 {
  switch P.mask {
    case MASK_CAUSAL: { return min(P.kvLen, P.qStart + t + 1u); }
    case MASK_BLOCK: { return min(P.kvLen, P.qStart + P.T); }
    default: { return P.kvLen; }
  }
}

// Factor applied to q·k so that exp2 of the product is the softmax numerator: scale, log2(e),
// and with q_norm the L2 normalisation and the learned per-head scale.
fn score_factor(h: u32, q_sumsq: f32) -> f32 {
  var f = P.scale * LOG2E;
  if (P.q_norm != 0u) {
    f *= exp(min(scale_mul[P.sm_off + h], LN100)) / max(sqrt(q_sumsq), 1e-12);
  }
  return f;
}

fn load_q4(base: u32, i: u32) -> vec4<f32> {
  let e = base + 4u * i;
  return vec4<f32>(q[e], q[e + 1u], q[e + 2u], q[e + 3u]);
}

fn store_out4(base: u32, i: u32, v: vec4<f32>) {
  let e = base + 4u * i;
  out[e] = v.x;
  out[e + 1u] = v.y;
  out[e + 2u] = v.z;
  out[e + 3u] = v.w;
}

#if !SPLIT
const BK = {{BK}}u; // keys per tile, a multiple of 4

var<workgroup> kt: array<vec4<f32>, BK * D4>;
var<workgroup> vt: array<vec4<f32>, BK * D4>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rows = P.T * P.G;
  let blocks = (rows + WG - 1u) / WG;
  let idx = wid.y * P.nx + wid.x;
  let blk = idx % blocks;
  let hk = (idx / blocks) % P.Hkv;
  let b = idx / (blocks * P.Hkv);
  let r0 = blk * WG;
  let r = min(r0 + lid, rows - 1u); // threads past the end redo the last row and store nothing
  let t = r / P.G;
  let h = hk * P.G + r % P.G;

  let qb = P.q_off + (b * P.T + t) * P.q_stride + h * {{D}}u;
  var qr: array<vec4<f32>, D4>;
  var ss = 0.0;
  for (var i = 0u; i < D4; i++) {
    qr[i] = load_q4(qb, i);
    ss += dot(qr[i], qr[i]);
  }
  let f = score_factor(h, ss);
  for (var i = 0u; i < D4; i++) { qr[i] *= f; }

  let lim = row_limit(t);
  // Masks only ever shrink the limit for earlier rows, so the block's last row bounds the tiles.
  let wlim = row_limit((min(r0 + WG, rows) - 1u) / P.G);
  let kvb = (b * P.Hkv + hk) * P.maxLen * D4;
  var o: array<vec4<f32>, D4>;
  var m = NEG;
  var l = 0.0;
  for (var j0 = 0u; j0 < wlim; j0 += BK) {
    let n = min(BK, wlim - j0);
    for (var e = lid; e < n * D4; e += WG) {
      kt[e] = k_cache[P.kc_off4 + kvb + j0 * D4 + e];
      vt[e] = v_cache[P.vc_off4 + kvb + j0 * D4 + e];
    }
    workgroupBarrier();
    for (var kk = 0u; kk < n; kk += 4u) {
      let a = kk * D4;
      var s = vec4<f32>(0.0);
      for (var d = 0u; d < D4; d++) {
        let qd = qr[d]; // one private load serves four keys (private arrays live in memory on CPU emulators)
        s += vec4<f32>(dot(qd, kt[a + d]), dot(qd, kt[a + D4 + d]), dot(qd, kt[a + 2u * D4 + d]), dot(qd, kt[a + 3u * D4 + d]));
      }
      // Slots past n hold stale tile data; `valid` drops them along with masked keys.
      let valid = (vec4<u32>(j0 + kk) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(lim);
      let sv = select(vec4<f32>(NEG), s, valid);
      let mn = max(m, max(max(sv.x, sv.y), max(sv.z, sv.w)));
      let alpha = exp2(m - mn);
      let p = select(vec4<f32>(0.0), exp2(sv - mn), valid);
      l = l * alpha + (p.x + p.y) + (p.z + p.w);
      for (var d = 0u; d < D4; d++) {
        o[d] = o[d] * alpha + p.x * vt[a + d] + p.y * vt[a + D4 + d] + p.z * vt[a + 2u * D4 + d] + p.w * vt[a + 3u * D4 + d];
      }
      m = mn;
    }
    workgroupBarrier();
  }
  if (r0 + lid >= rows) { return; }
  let ob = P.o_off + ((b * P.T + t) * P.H + h) * {{D}}u;
  let inv = 1.0 / l;
  for (var i = 0u; i < D4; i++) { store_out4(ob, i, o[i] * inv); }
}
#else
const SK = {{SK}}u;       // keys per chunk
const LANES = WG / D4;    // key lanes of the weighted sum of V (WG a multiple of D/4)

var<workgroup> qs: array<vec4<f32>, D4>;
var<workgroup> sc: array<f32, SK>;        // scores, then weights, of the current chunk
var<workgroup> red: array<f32, WG>;       // per-thread maxima
var<workgroup> oacc: array<vec4<f32>, WG>;
var<workgroup> lacc: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = wid.y * P.nx + wid.x;
  let t = idx % P.T;
  let h = (idx / P.T) % P.H;
  let b = idx / (P.T * P.H);
  let hk = h / P.G;
  let qb = P.q_off + (b * P.T + t) * P.q_stride + h * {{D}}u;
  for (var i = lid; i < D4; i += WG) { qs[i] = load_q4(qb, i); }
  workgroupBarrier();
  var ss = 0.0;
  for (var i = 0u; i < D4; i++) { ss += dot(qs[i], qs[i]); }
  let f = score_factor(h, ss);

  let lim = row_limit(t);
  let kvb = (b * P.Hkv + hk) * P.maxLen * D4;
  let quad = lid % D4;
  let lane = lid / D4;
  var o = vec4<f32>(0.0);
  var l = 0.0;
  var m = NEG;
  for (var c0 = 0u; c0 < lim; c0 += SK) {
    let n = min(SK, lim - c0);
    var lm = NEG;
    for (var i = lid; i < n; i += WG) {
      let kb = P.kc_off4 + kvb + (c0 + i) * D4;
      var acc = 0.0;
      for (var d = 0u; d < D4; d++) { acc += dot(qs[d], k_cache[kb + d]); }
      let s = acc * f;
      sc[i] = s;
      lm = max(lm, s);
    }
    red[lid] = lm;
    workgroupBarrier();
    var cm = NEG;
    for (var i = 0u; i < WG; i++) { cm = max(cm, red[i]); }
    let mn = max(m, cm);
    let alpha = exp2(m - mn);
    for (var i = lid; i < n; i += WG) { sc[i] = exp2(sc[i] - mn); }
    workgroupBarrier();
    o *= alpha;
    l *= alpha;
    for (var i = lane; i < n; i += LANES) {
      let p = sc[i];
      l += p;
      o += p * v_cache[P.vc_off4 + kvb + (c0 + i) * D4 + quad];
    }
    m = mn;
    workgroupBarrier(); // sc and red are rewritten by the next chunk
  }
  oacc[lid] = o;
  lacc[lid] = l;
  workgroupBarrier();
  if (lid >= D4) { return; }
  var sum = vec4<f32>(0.0);
  var lt = 0.0;
  for (var ln = 0u; ln < LANES; ln++) {
    sum += oacc[ln * D4 + lid];
    lt += lacc[ln * D4]; // every thread of a lane holds the same sum
  }
  store_out4(P.o_off + ((b * P.T + t) * P.H + h) * {{D}}u, lid, sum / lt);
}
#endif
