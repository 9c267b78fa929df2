/** A PyTorch Linear weight [out, in] as the [in, out] matrix a MatMul initializer wants. */
export function transposed(w: { shape: readonly number[]; values: Float32Array }): Float32Array {
  const [rows, cols] = w.shape;
  const src = w.values;
  const out = new Float32Array(rows * cols);
  // In 64×64 tiles: both the reads and the strided writes stay in cache (VAR-d16's 300M weights).
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const at = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[at + c];
      }
    }
  }
  return out;
}
