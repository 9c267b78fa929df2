// Classifier-free guidance on logits: out = (1 + t)·cond − t·uncond, materialised row by row
// (the sampler does the same inline; this is for callers that want the combined logits).
//
// Bindings: 0 Params (uniform), 1 logits f32 (read), 2 out f32 (read_write).
// Layout: cond[r, c] = logits[r·rowStride + colOffset + c], uncond[r, c] = logits[uncondOffset + that],
//         out[outOffset + r·cols + c] (dense rows).
// Dispatch: ceil(rows·cols / WG) workgroups folded into (x, y); i = (y·nx + x)·WG + lid.

struct Params {
  rows: u32,
  cols: u32,          // candidates per row, in elements
  rowStride: u32,     // elements between input rows
  colOffset: u32,     // first candidate inside an input row, in elements
  uncondOffset: u32,  // element offset of the unconditional rows
  outOffset: u32,     // element offset of out[0, 0]
  nx: u32,            // workgroups along x (2D-folded dispatch)
  guidance: f32,      // t
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.rows * P.cols) { return; }
  let src = (i / P.cols) * P.rowStride + P.colOffset + i % P.cols;
  out[P.outOffset + i] = (1.0 + P.guidance) * logits[src] - P.guidance * logits[P.uncondOffset + src];
}
