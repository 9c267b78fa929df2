/**
 * Every tile and workgroup size of every kernel, in one place. Shaders receive these as defines
 * ({{WG}} etc.), so changing one here changes the pipeline key and the shader together.
 */
export const tuning = {
  /** 1D elementwise kernels: threads per workgroup. */
  elementwise: { WG: 256 },
  /** Feature-map kernels (codebook gather, resizes, upsample/depth-to-space): threads per workgroup, one output each. */
  featureMap: { WG: 256 },
  /** GroupNorm: threads per workgroup; one workgroup per (batch, group). */
  groupnorm: { WG: 256 },
  /**
   * conv2d as an implicit GEMM: a TM (output channels) × TN (pixels) tile per workgroup, each
   * thread RM × RN outputs; TK = CI × k² of the reduction per step (CI3 input channels for 3×3,
   * CI1 for 1×1). Needs (TM/RM)·(TN/RN) to be a multiple of TN (each thread loads fixed pixels).
   */
  conv2d: { TM: 64, TN: 64, RM: 8, RN: 8, CI3: 2, CI1: 16 },
  /**
   * Linear (matmul.wgsl): a BM × BN output tile per workgroup, TM × TN per thread (TN a multiple
   * of 4, BM/TM·BN/TN threads), TK of the reduction staged in workgroup memory per step.
   */
  matmul: { BM: 64, BN: 64, TM: 4, TN: 4, TK: 16 },
  /**
   * Linear, matrix-vector path (matvec.wgsl) for M ≤ MAX_M: WG threads split K, COLS output
   * columns per workgroup, all M rows at once.
   */
  matvec: { WG: 64, COLS: 4, MAX_M: 4 },
  /**
   * Attention (attention.wgsl). Rows path: WG query rows per workgroup, one per thread, K/V
   * tiles of BK keys (a multiple of 4) per head dim: 2·BK·D·4 bytes of workgroup memory (16 KiB,
   * the WebGPU default limit). Split path (few rows, decoding): WG threads (a multiple of D/4)
   * split chunks of SK keys; taken when T·G ≤ SPLIT_MAX_ROWS.
   */
  attention: { WG: 64, BK: { 64: 32, 128: 16 }, SPLIT_WG: 64, SK: 256, SPLIT_MAX_ROWS: 16 },
  /** KV append (kv_append.wgsl): threads per workgroup, one (token, head) row each. */
  kvAppend: { WG: 64 },
  /** RoPE (rope.wgsl): threads per workgroup, one rotated pair each. */
  rope: { WG: 256 },
  /** RMSNorm / LayerNorm: threads per workgroup (SQ² = WG), one workgroup per row. */
  rowNorm: { WG: 64, SQ: 8 },
} as const;
