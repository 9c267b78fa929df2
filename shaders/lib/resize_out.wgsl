// The output element of a resize thread: (plane b·C + c, oy, ox) of flat index i, in the NCHW layout
// or, with TOKENS, in [B, outH·outW, C] token rows; and its store (ACCUM adds to what is there).
// Needs: P.B, P.C, P.outH, P.outW and `out`.
fn resize_out_coords(i: u32) -> vec3<u32> {
  let outHW = P.outH * P.outW;
#if TOKENS
  let c = i % P.C;
  let p = (i / P.C) % outHW;
#else
  let p = i % outHW;
  let c = (i / outHW) % P.C;
#endif
  let b = i / (P.C * outHW);
  return vec3<u32>(b * P.C + c, p / P.outW, p % P.outW);
}

fn resize_store(i: u32, v: f32) {
#if ACCUM
  out[i] += v;
#else
  out[i] = v;
#endif
}
