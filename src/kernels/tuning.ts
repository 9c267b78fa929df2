/**
 * Every tile and workgroup size of every kernel, in one place. Shaders receive these as defines
 * ({{WG}} etc.), so changing one here changes the pipeline key and the shader together.
 */
export const tuning = {
  /** 1D elementwise kernels: threads per workgroup. */
  elementwise: { WG: 256 },
  /** Feature-map kernels (codebook gather, resizes, upsample/depth-to-space): threads per workgroup, one output each. */
  featureMap: { WG: 256 },
  /** GroupNorm: threads per workgroup (a power of two: tree reduction); one workgroup per (batch, group). */
  groupnorm: { WG: 256 },
  /**
   * conv2d as an implicit GEMM: a TM (output channels) × TN (pixels) tile per workgroup, each
   * thread 8 × 8 outputs (written out in the shader); TK = CI × k² of the reduction per step (CI3
   * input channels for 3×3, CI1 for 1×1; halved while the tiles overflow workgroup memory).
   * TM, TN multiples of 8. `narrow` serves Cout ≤ its TM (conv_out's 3).
   * CI3 4 beat 1 and 2 on SwiftShader (fewer barriers per MAC).
   */
  conv2d: { TM: 64, TN: 64, CI3: 4, CI1: 16, narrow: { TM: 16, TN: 128 } },
  /**
   * Linear (matmul.wgsl): a BM × BN output tile per workgroup (BM a multiple of 16, BN of 32;
   * each thread owns a 16×8 block, unrolled in the shader), TK of the reduction staged in
   * workgroup memory per step (a multiple of 4; (BM + BN)·TK·4 bytes must fit
   * maxComputeWorkgroupStorageSize). 16×8 with quad shuffles beat 8×8 and 4×4 on SwiftShader.
   */
  matmul: { BM: 64, BN: 64, TK: 32 },
  /**
   * Linear, matrix-vector path (matvec.wgsl) for M ≤ MAX_M (≤ 4): quads of 4 threads split K
   * for COLS output columns each, G quads per workgroup, all M rows at once.
   */
  matvec: { G: 16, COLS: 4, MAX_M: 4 },
  /** Sampling (sample.wgsl): threads per workgroup, one workgroup per row; a power of two ≤ 128 (its 16-bin histograms take 64·WG bytes of workgroup memory). */
  sample: { WG: 64 },
  /** CFG combine: threads per workgroup, one output logit each. */
  cfgCombine: { WG: 256 },
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
