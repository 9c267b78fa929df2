/**
 * Plain-TypeScript reference of the Linear kernels, float64 accumulation, for tests:
 * y[M,N] = x[M,K] · W[N,K]ᵀ (+ bias[N]) (+ residual[M,N]). W is f32 here: give it the
 * dequantized weights (unpackF16 / dequantizeQ8) so the comparison measures the kernel alone.
 */
export function linearRef(
  x_MK: Float32Array,
  w_NK: Float32Array,
  M: number,
  K: number,
  N: number,
  bias_N?: Float32Array,
  residual_MN?: Float32Array,
): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x_MK[m * K + k] * w_NK[n * K + k];
      if (bias_N) s += bias_N[n];
      if (residual_MN) s += residual_MN[m * N + n];
      y[m * N + n] = s;
    }
  }
  return y;
}
