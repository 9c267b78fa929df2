/**
 * The counter-based RNG of docs/sampling.md §1, in plain TypeScript. Bit-exact with
 * shaders/sample.wgsl and tools/nextscale_tools/sampling.py: all arithmetic is u32, wrapping.
 */

/** One round of the PCG hash (PCG-RXS-M-XS, 32-bit). */
export function pcg(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return (w ^ (w >>> 22)) >>> 0;
}

/** The u32 draw for (seed, step, pos); each argument is reduced to u32 with `>>> 0`. */
export function drawU32(seed: number, step: number, pos: number): number {
  return pcg((pcg((pcg(seed >>> 0) ^ (step >>> 0)) >>> 0) ^ (pos >>> 0)) >>> 0);
}

/** float32(draw >> 8) · 2^-24: exact, in [0, 1), the same float the shader computes. */
export function uniform(seed: number, step: number, pos: number): number {
  return (drawU32(seed, step, pos) >>> 8) * 2 ** -24;
}

/** The draw-stream index of scale `s` of the k-th image of a request. */
export const imageStep = (k: number, s: number): number => ((k << 8) | s) >>> 0;
/** The draw-stream index of the n-th generated text token. */
export const textStep = (n: number): number => (0x80000000 | n) >>> 0;
