// KV-cache append: copy new keys and values of T tokens into preallocated caches at positions
// [start, start+T), in place, optionally L2-normalising each key head on the way in (VAR:
// k = k / max(‖k‖, 1e-12), so the cache holds normalised keys once and attention never redoes it).
//
// Bindings: 0 Params (uniform),
//           1 k_new f32 [B, T, ·] (read): token rows of `stride` elements, head h at h·D,
//           2 v_new f32 [B, T, ·] (read): same layout as k_new,
//           3 k_cache f32 [B, Hkv, maxLen, D] (read_write),
//           4 v_cache f32 [B, Hkv, maxLen, D] (read_write).
// Params:   B, T, Hkv, D, maxLen, start (cache position of token 0); k_stride, v_stride (elements
//           between consecutive tokens of k_new / v_new: Hkv·D, or more when they are slices of a
//           fused qkv row); k_off, v_off, kc_off, vc_off (element offsets in the bindings); nx.
// Dispatch: ceil(B·T·Hkv / WG) workgroups folded into (nx, ny); one thread per (b, t, head) row.
// Algorithm: a thread copies its D-element head row (two passes over k when L2 is on: the norm,
//           then the scaled copy). A row is only 64–128 floats, so a thread per row keeps the
//           norm free of barriers, which is what costs most on CPU-emulated GPUs.

struct Params {
  B: u32,
  T: u32,
  Hkv: u32,
  D: u32,          // head dim, in elements
  maxLen: u32,     // cache capacity, in tokens
  start: u32,      // cache position of the first new token
  k_stride: u32,   // elements between tokens of k_new
  v_stride: u32,   // elements between tokens of v_new
  k_off: u32,      // offset of k_new in its binding, in elements
  v_off: u32,
  kc_off: u32,     // offset of k_cache in its binding, in elements
  vc_off: u32,
  nx: u32,         // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> k_new: array<f32>;
@group(0) @binding(2) var<storage, read> v_new: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (row >= P.B * P.T * P.Hkv) { return; }
  let h = row % P.Hkv;
  let t = (row / P.Hkv) % P.T;
  let b = row / (P.Hkv * P.T);
  let tok = b * P.T + t;
  let ks = P.k_off + tok * P.k_stride + h * P.D;
  let vs = P.v_off + tok * P.v_stride + h * P.D;
  let dst = ((b * P.Hkv + h) * P.maxLen + P.start + t) * P.D;
  var kscale = 1.0;
#if L2NORM
  var ss = 0.0;
  for (var d = 0u; d < P.D; d++) { let x = k_new[ks + d]; ss += x * x; }
  kscale = 1.0 / max(sqrt(ss), 1e-12);
#endif
  for (var d = 0u; d < P.D; d++) {
    k_cache[P.kc_off + dst + d] = k_new[ks + d] * kscale;
    v_cache[P.vc_off + dst + d] = v_new[vs + d];
  }
}
