// Workgroup sum in two levels of √WG: every thread gets the sum of v over the workgroup, after two
// barriers instead of log2(WG) (barriers are what costs on CPU-emulated GPUs).
// Needs: const WG (threads), const SQ (SQ² = WG). Call in uniform control flow.

var<workgroup> part: array<f32, WG>;
var<workgroup> part2: array<f32, SQ>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  if (lid < SQ) {
    var s = 0.0;
    for (var i = 0u; i < SQ; i++) { s += part[lid * SQ + i]; }
    part2[lid] = s;
  }
  workgroupBarrier();
  var s = 0.0;
  for (var i = 0u; i < SQ; i++) { s += part2[i]; }
  workgroupBarrier(); // part/part2 are reused by the next call
  return s;
}
