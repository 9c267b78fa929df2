/**
 * Every tile and workgroup size of every kernel, in one place. Shaders receive these as defines
 * ({{WG}} etc.), so changing one here changes the pipeline key and the shader together.
 */
export const tuning = {
  /** 1D elementwise kernels: threads per workgroup. */
  elementwise: { WG: 256 },
} as const;
