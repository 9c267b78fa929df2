/**
 * Bitwise sampling on the GPU (sample_bits.wgsl): Infinity's head gives each token d logit pairs, one
 * independent 2-way choice per bit, sampled as docs/sampling.md with V = 2 (CFG, temperature, top-k, top-p,
 * one counter-based draw per bit at position posOffset + r·d + j). Writes the packed codes (bit j of the
 * code = bit j) and the BSQ code map ±1/√d, channel-major [d, T], that the f̂ update resizes.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { checkLogits, checkOut } from './logits-layout';
import { ceilDiv } from './dispatch-geometry';
import { tuning } from './tuning';

export interface SampleBitsOptions {
  /** Tokens (rows of logits). */
  T: number;
  /** Bits per token (≤ 32: packed into one u32). */
  d: number;
  /** Elements between token rows (default 2d). */
  rowStride?: number;
  /** Element offset of the unconditional rows; undefined = no CFG. */
  uncondOffset?: number;
  /** CFG guidance t (cfg − 1 for Infinity's cfg·c + (1 − cfg)·u). */
  guidance?: number;
  /** 0 = greedy (bit 1 only when its logit is larger). */
  temperature: number;
  /** 0 = off; 1 keeps the larger logit of each pair (ties both); ≥ 2 is off. */
  topK?: number;
  /** 0 or ≥ 1 = off. */
  topP?: number;
  seed: number;
  step: number;
  posOffset?: number;
  /** Element offset of token 0's code in `codes`. */
  outOffset?: number;
  /** Element offset of the code map in `map`. */
  mapOffset?: number;
  /** Teacher forcing: the codes are already in `codes`; only the map is written. */
  forced?: boolean;
}

const KERNEL = 'sample_bits';

export function recordSampleBits(rec: Recorder, logits: GPUBuffer, codes: GPUBuffer, map: GPUBuffer, o: SampleBitsOptions): void {
  const { ctx } = rec;
  const { T, d } = o;
  const shape = `T=${T} d=${d}`;
  if (!Number.isInteger(d) || d < 1 || d > 32) throw new KernelShapeError(KERNEL, `d=${d} bits must be an integer in [1, 32] (packed into a u32) (${shape})`);
  if (!Number.isInteger(T) || T < 1) throw new KernelShapeError(KERNEL, `T=${T} must be a positive integer (${shape})`);
  const rowStride = o.rowStride ?? 2 * d;
  const topK = o.topK ?? 0;
  const topP = o.topP ?? 0;
  const t = o.guidance ?? 0;
  if (!Number.isInteger(topK) || topK < 0) throw new KernelShapeError(KERNEL, `topK must be a non-negative integer, got ${topK}`);
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new KernelShapeError(KERNEL, `temperature must be finite and ≥ 0, got ${o.temperature}`);
  if (!(topP >= 0)) throw new KernelShapeError(KERNEL, `topP must be ≥ 0, got ${topP}`);
  if (!Number.isFinite(t)) throw new KernelShapeError(KERNEL, `guidance must be finite, got ${t}`);
  if (map === logits || map === codes || codes === logits) throw new KernelShapeError(KERNEL, `logits, codes and map must be three buffers (${shape})`);
  const logitsBinding = checkLogits(ctx, KERNEL, logits, { rows: T, V: 2 * d, rowStride, uncondOffset: o.uncondOffset });
  const outOffset = o.outOffset ?? 0;
  const mapOffset = o.mapOffset ?? 0;
  const codesBinding = checkOut(ctx, KERNEL, 'codes', codes, outOffset, T);
  const mapBinding = checkOut(ctx, KERNEL, 'map', map, mapOffset, d * T);
  const { WG } = tuning.sample;
  rec.dispatch({
    shader: KERNEL,
    defines: { WG, FORCED: o.forced ? 1 : 0 },
    uniforms: {
      T, d, rowStride, uncondOffset: o.uncondOffset ?? 0, outOffset, mapOffset, seed: o.seed >>> 0, step: o.step >>> 0,
      posOffset: (o.posOffset ?? 0) >>> 0, topK, cfg: o.uncondOffset !== undefined && t !== 0 ? 1 : 0,
      guidance: t, temperature: o.temperature, topP, codeValue: 1 / Math.sqrt(d),
    },
    bindings: [logitsBinding, codesBinding, mapBinding],
    workgroups: [ceilDiv(T, WG)],
    label: `sample_bits T=${T} d=${d}${o.forced ? ' forced' : ''}`,
  });
}
