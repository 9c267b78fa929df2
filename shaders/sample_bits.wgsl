// Bitwise sampling (Infinity's head): each token has d independent bits, bit j deciding between the
// logit pair (2j, 2j+1) of its row. Per bit, as docs/sampling.md §2 with V = 2 (reference/sample.ts
// sampleRow): CFG l = (1+t)·cond − t·uncond → temperature (0 = greedy: bit = l1 > l0) → top-k (1 keeps
// the larger, ties both) → softmax → top-p (the larger alone when it holds p of the mass) → one
// draw at position posOffset + r·d + j, walked in index order. One thread per token: it packs its
// bits into codes[outOffset + r] (bit j = bit j of the code) and writes the BSQ code map
// map[j·T + r] = ±codeValue (bit 1 → +) for the f̂ update, channel-major [d, T].
// FORCED: the codes are already in `codes` (teacher forcing); only the map is written.
//
// Bindings: 0 Params (uniform), 1 logits f32 (read), 2 codes u32 (read_write), 3 map f32 (read_write).
// Params:   T (tokens), d (bits ≤ 32), rowStride (elements between token rows, ≥ 2d); uncondOffset
//           (element offset of the unconditional rows); outOffset (codes); mapOffset (elements);
//           seed, step, posOffset (draws); topK; cfg (1 = combine); guidance; temperature; topP;
//           codeValue (1/√d).
// Dispatch: ceil(T / WG) workgroups.

struct Params {
  T: u32,
  d: u32,
  rowStride: u32,
  uncondOffset: u32,
  outOffset: u32,
  mapOffset: u32,
  seed: u32,
  step: u32,
  posOffset: u32,
  topK: u32,
  cfg: u32,
  guidance: f32,
  temperature: f32,
  topP: f32,
  codeValue: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> codes: array<u32>;
@group(0) @binding(3) var<storage, read_write> code_map: array<f32>;

#include "lib/rng.wgsl"

fn logit(at: u32) -> f32 {
  if (P.cfg == 0u) { return logits[at]; }
  let t = P.guidance;
  return (1.0 + t) * logits[at] - t * logits[P.uncondOffset + at];
}

fn sample_bit(r: u32, j: u32) -> u32 {
  let at = r * P.rowStride + 2u * j;
  var l0 = logit(at);
  var l1 = logit(at + 1u);
  if (P.temperature == 0.0) { return select(0u, 1u, l1 > l0); }
  l0 = l0 / P.temperature;
  l1 = l1 / P.temperature;
  let m = max(l0, l1);
  var k0 = true;
  var k1 = true;
  if (P.topK == 1u) {
    k0 = l0 >= m;
    k1 = l1 >= m;
  }
  var e0 = select(0.0, exp(l0 - m), k0);
  var e1 = select(0.0, exp(l1 - m), k1);
  let sum = e0 + e1;
  if (P.topP > 0.0 && P.topP < 1.0 && k0 && k1) {
    // The larger alone when its mass reaches p·Σ (ties: both, as the spec's τ keeps e ≥ τ).
    let hi = max(e0, e1);
    if (hi >= P.topP * sum) {
      k0 = e0 >= hi;
      k1 = e1 >= hi;
    }
  }
  e0 = select(0.0, e0, k0);
  e1 = select(0.0, e1, k1);
  let goal = uniform_f32(P.seed, P.step, P.posOffset + r * P.d + j) * (e0 + e1);
  if (k0 && e0 > goal) { return 0u; }
  if (k1) { return 1u; }
  return 0u;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= P.T) { return; }
  var code = 0u;
#if FORCED
  code = codes[P.outOffset + r];
#else
  for (var j = 0u; j < P.d; j++) { code |= sample_bit(r, j) << j; }
  codes[P.outOffset + r] = code;
#endif
  for (var j = 0u; j < P.d; j++) {
    code_map[P.mapOffset + j * P.T + r] = select(-P.codeValue, P.codeValue, ((code >> j) & 1u) == 1u);
  }
}
