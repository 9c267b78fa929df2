// Codebook gather: features = E[code], written NCHW [B, C, h, w] or token layout [B, h·w, C].
//
// Bindings: 0 Params (uniform), 1 codes u32 [B, HW] at element offset codeOff, batch b's codes
//           starting codeStride elements after batch b−1's (read),
//           2 codebook f32 [V, C] at element offset cbOff (read), 3 out f32 (read_write).
// Params:   B, HW (= h·w tokens per image), C (code dim), V (codebook rows), codeOff and cbOff
//           (in elements, relative to the bound windows), codeStride (elements per batch row of
//           codes: HW, or the total token count L when all scales share one [B, L] buffer),
//           nx (workgroups along x).
// Dispatch: ceil(B·HW·C / WG) workgroups folded into (nx, ny); one thread per output element.
// Defines:  WG (threads), TOKENS (1: out is [B, HW, C]; 0: out is [B, C, HW]).
// Codes ≥ V are clamped to V−1 so a bad code can never read outside the codebook (the TS checks
// what it can; codes produced on the GPU are not visible to it).

struct Params {
  B: u32,        // batch
  HW: u32,       // tokens per image (h·w)
  C: u32,        // code dim (channels of out)
  V: u32,        // codebook rows
  codeOff: u32,  // elements
  cbOff: u32,    // elements
  codeStride: u32, // elements between batch rows of codes
  nx: u32,       // workgroups along x
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> codebook: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.B * P.HW * P.C) { return; }
#if TOKENS
  let c = i % P.C;
  let p = (i / P.C) % P.HW;
#else
  let p = i % P.HW;
  let c = (i / P.HW) % P.C;
#endif
  let b = i / (P.HW * P.C);
  let code = min(codes[P.codeOff + b * P.codeStride + p], P.V - 1u);
  out[i] = codebook[P.cbOff + code * P.C + c];
}
