// Seeded sampling, one workgroup per row: CFG → temperature → top-k → softmax → top-p → draw.
// The contract is docs/sampling.md (shared with the Python reference); the RNG is bit-exact.
//
// Bindings (SAMPLE): 0 Params (uniform), 1 logits f32 (read), 2 codes u32 (read_write).
// Bindings (DRAWS=1, debug): 0 Params, 1 out u32 (read_write): out[outOffset+i] = draw_u32(seed, step, posOffset+i).
// Dispatch: SAMPLE (rows, 1, 1) workgroups of WG threads; DRAWS ceil(rows / WG).
// Layout: cond row r, candidate i at logits[r·rowStride + colOffset + i]; its uncond twin at
//         uncondOffset + the same index. codes[outOffset + r] = the chosen i (relative to colOffset).
//
// Algorithm, every pass re-reading the row from global memory (V up to 152064 does not fit in
// workgroup memory, each thread loops over ⌈V/WG⌉ entries):
//   1. argmax of the combined logits (lowest index among ties); temperature 0 writes it and stops.
//   2. top-k: the k-th largest l = l/T is found by building its order-preserving u32 key 4 bits at
//      a time from the top (8 passes, a 16-bin count of the next digit each): the largest key x
//      with #{key_i ≥ x} ≥ k. No sort.
//   3. e_i = exp(l_i − max) over the kept set, S = Σe.
//   4. top-p: the same digit search on the bits of e (positive floats order like u32), summing
//      masses instead of counting: the largest x with Σ_{e_i ≥ x} e_i ≥ p·S (8 passes), which is
//      the spec's τp scaled by S.
//   5. draw: each thread sums a contiguous chunk, an exclusive prefix sum over the chunk sums
//      gives every chunk its start, goal = uniform·total, and the first index whose running sum
//      is > goal wins (atomicMin); none (rounding) → the last kept index.

struct Params {
  rows: u32,          // rows to sample (DRAWS: draws to write)
  V: u32,             // candidates per row, in elements
  rowStride: u32,     // elements between rows of logits
  colOffset: u32,     // first candidate inside a row, in elements
  uncondOffset: u32,  // element offset of the unconditional rows (CFG)
  outOffset: u32,     // element offset of row 0's code in codes
  seed: u32,
  step: u32,          // draw stream (docs/sampling.md §1)
  posOffset: u32,     // draw position of row 0
  topK: u32,          // 0 or ≥ V = off
  cfg: u32,           // 1 = combine with the unconditional rows
  guidance: f32,      // CFG t
  temperature: f32,   // 0 = greedy
  topP: f32,          // 0 or ≥ 1 = off
}

@group(0) @binding(0) var<uniform> P: Params;

#include "lib/rng.wgsl"

#if DRAWS
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= P.rows) { return; }
  out[P.outOffset + i] = draw_u32(P.seed, P.step, P.posOffset + i);
}
#else
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> codes: array<u32>;

const NONE = 0xffffffffu;
// Reductions write one partial per thread, pass one barrier, and then every thread sums all WG
// partials itself in the same order: one barrier per reduction instead of log2(WG) (barriers are
// what costs on CPU backends), a deterministic order, and two arrays used in turn so the next
// reduction's writes can't race the previous one's reads.
var<workgroup> part_f: array<array<f32, {{WG}}>, 2>;
var<workgroup> part_u: array<array<u32, {{WG}}>, 2>;
// Threshold searches: a 16-bin histogram of the next 4 key bits per thread (f32 masses stored as
// bits for top-p), summed per bin by 16 threads into `bins`.
var<workgroup> hist: array<array<u32, {{WG}}>, 16>;
var<workgroup> bins: array<u32, 16>;
var<workgroup> found: atomic<u32>;
var<workgroup> lastKept: atomic<u32>;

// The combined logit (CFG applied, no temperature).
fn logit(base: u32, i: u32) -> f32 {
  let c = logits[base + i];
  if (P.cfg == 0u) { return c; }
  return (1.0 + P.guidance) * c - P.guidance * logits[P.uncondOffset + base + i];
}

// Order-preserving map f32 → u32 (negative floats reversed below the positive ones). −0 maps to
// +0's key: they compare equal, and a tie at a top-k threshold of 0 must keep both.
fn fkey(x: f32) -> u32 {
  let b = select(bitcast<u32>(x), 0u, bitcast<u32>(x) == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn sum_f(lid: u32, slot: u32, v: f32) -> f32 {
  part_f[slot][lid] = v;
  workgroupBarrier();
  var s = 0.0;
  for (var j = 0u; j < {{WG}}u; j++) { s += part_f[slot][j]; }
  return s;
}

// Publish each thread's 16 bins and sum them per bin (thread b sums bin b), readable by all.
fn publish_bins(lid: u32, h: array<u32, 16>, asFloat: bool) {
  for (var b = 0u; b < 16u; b++) { hist[b][lid] = h[b]; }
  workgroupBarrier();
  if (lid < 16u) {
    var su = 0u;
    var sf = 0.0;
    for (var j = 0u; j < {{WG}}u; j++) {
      su += hist[lid][j];
      sf += bitcast<f32>(hist[lid][j]);
    }
    bins[lid] = select(su, bitcast<u32>(sf), asFloat);
  }
  workgroupBarrier();
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x;
  let V = P.V;
  let base = row * P.rowStride + P.colOffset;

  // 1. argmax (value, lowest index) of the combined logits.
  var bv = 0.0;
  var bi = NONE;
  for (var i = lid; i < V; i += {{WG}}u) {
    let l = logit(base, i);
    if (bi == NONE || l > bv) { bv = l; bi = i; }
  }
  part_f[0][lid] = bv;
  part_u[0][lid] = bi;
  workgroupBarrier();
  var amax = NONE;
  var vmax = 0.0;
  for (var j = 0u; j < {{WG}}u; j++) {
    let ib = part_u[0][j];
    let vb = part_f[0][j];
    if (ib != NONE && (amax == NONE || vb > vmax || (vb == vmax && ib < amax))) { vmax = vb; amax = ib; }
  }
  if (P.temperature == 0.0) {
    if (lid == 0u) { codes[P.outOffset + row] = amax; }
    return;
  }
  let T = P.temperature;
  let m = logit(base, amax) / T;
  var slot = 1u;

  // 2. top-k threshold key: the largest x with #{key(l_i) ≥ x} ≥ k (= the k-th largest's key),
  // found 4 bits per pass: count the entries ≥ each of the 16 candidates for the next digit.
  // Entries already above the prefix count as digit 15 (they are ≥ every candidate).
  var kkey = 0u;
  if (P.topK > 0u && P.topK < V) {
    for (var shift = 28i; shift >= 0i; shift -= 4i) {
      let sh = u32(shift);
      var h = array<u32, 16>();
      for (var i = lid; i < V; i += {{WG}}u) {
        let key = fkey(logit(base, i) / T);
        if (key >= kkey) {
          let d = select(15u, (key >> sh) & 15u, ((key >> sh) >> 4u) == ((kkey >> sh) >> 4u));
          h[d] += 1u;
        }
      }
      publish_bins(lid, h, false);
      var acc = 0u;
      for (var c = 15u; c >= 1u; c--) {
        acc += bins[c];
        if (acc >= P.topK) { kkey |= c << sh; break; }
      }
    }
  }

  // 3.-4. top-p threshold on the bits of e = exp(l − m) (positive floats order like their bits):
  // the largest x with Σ_{kept, e_i ≥ x} e_i ≥ p·Σ_{kept} e_i.
  var pbits = 0u;
  if (P.topP > 0.0 && P.topP < 1.0) {
    var part = 0.0;
    for (var i = lid; i < V; i += {{WG}}u) {
      let l = logit(base, i) / T;
      if (fkey(l) >= kkey) { part += exp(l - m); }
    }
    let thr = P.topP * sum_f(lid, slot, part);
    slot ^= 1u;
    for (var shift = 28i; shift >= 0i; shift -= 4i) {
      let sh = u32(shift);
      var h = array<f32, 16>();
      for (var i = lid; i < V; i += {{WG}}u) {
        let l = logit(base, i) / T;
        let e = exp(l - m);
        let key = bitcast<u32>(e);
        if (fkey(l) >= kkey && key >= pbits) {
          let d = select(15u, (key >> sh) & 15u, ((key >> sh) >> 4u) == ((pbits >> sh) >> 4u));
          h[d] += e;
        }
      }
      var hb: array<u32, 16>;
      for (var b = 0u; b < 16u; b++) { hb[b] = bitcast<u32>(h[b]); }
      publish_bins(lid, hb, true);
      var acc = 0.0;
      for (var c = 15u; c >= 1u; c--) {
        acc += bitcast<f32>(bins[c]);
        if (acc >= thr) { pbits |= c << sh; break; }
      }
    }
  }

  // 5. draw: each thread sums a contiguous chunk; its start is the sum of the chunks before it.
  let chunk = (V + {{WG}}u - 1u) / {{WG}}u;
  let start = min(lid * chunk, V);
  let end = min(start + chunk, V);
  var csum = 0.0;
  var clast = 0u;
  for (var i = start; i < end; i++) {
    let l = logit(base, i) / T;
    let e = exp(l - m);
    if (fkey(l) >= kkey && bitcast<u32>(e) >= pbits) { csum += e; clast = i + 1u; }
  }
  if (lid == 0u) {
    atomicStore(&found, NONE);
    atomicStore(&lastKept, 0u);
  }
  part_f[slot][lid] = csum;
  workgroupBarrier();
  var run = 0.0;
  var total = 0.0;
  for (var j = 0u; j < {{WG}}u; j++) {
    if (j == lid) { run = total; }
    total += part_f[slot][j];
  }
  let u = f32(draw_u32(P.seed, P.step, P.posOffset + row) >> 8u) * (1.0 / 16777216.0);
  let goal = u * total;
  if (clast > 0u) { atomicMax(&lastKept, clast); }
  for (var i = start; i < end; i++) {
    let l = logit(base, i) / T;
    let e = exp(l - m);
    if (fkey(l) >= kkey && bitcast<u32>(e) >= pbits) {
      run += e;
      if (run > goal) {
        atomicMin(&found, i);
        break;
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let f = atomicLoad(&found);
    codes[P.outOffset + row] = select(atomicLoad(&lastKept) - 1u, f, f != NONE);
  }
}
#endif
