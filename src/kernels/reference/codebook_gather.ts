/** CPU reference of the codebook gather (codes ≥ V clamp to V−1, like the shader); batch b's codes start at b·codesStride. */
export function codebookGatherRef(
  codes: ArrayLike<number>,
  codebook: ArrayLike<number>,
  B: number,
  HW: number,
  V: number,
  C: number,
  layout: 'nchw' | 'tokens',
  codesStride = HW,
): Float64Array {
  const out = new Float64Array(B * HW * C);
  for (let b = 0; b < B; b++)
    for (let p = 0; p < HW; p++) {
      const code = Math.min(codes[b * codesStride + p], V - 1);
      for (let c = 0; c < C; c++) {
        const o = layout === 'tokens' ? (b * HW + p) * C + c : (b * C + c) * HW + p;
        out[o] = codebook[code * C + c];
      }
    }
  return out;
}
