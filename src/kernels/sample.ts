/**
 * Seeded sampling on the GPU (docs/sampling.md): CFG, temperature (0 = greedy), top-k, top-p and
 * one counter-based draw per row, one workgroup per row. Codes stay on the GPU: they are written
 * at an element offset of a u32 buffer that holds the codes of every scale.
 */
import { KernelShapeError } from '../api/errors';
import type { Recorder } from '../gpu/recorder';
import { checkLogits, checkOut, type LogitsLayout } from './logits-layout';
import { ceilDiv } from './dispatch-geometry';
import { tuning } from './tuning';

export interface SampleOptions extends LogitsLayout {
  /** CFG guidance t (used when uncondOffset is set; 0 skips CFG). */
  guidance?: number;
  /** 0 = greedy argmax (lowest index among ties), no draw. */
  temperature: number;
  /** 0 = off; 0 < k < V keeps every logit ≥ the k-th largest (ties kept); k = V is off too. */
  topK?: number;
  /** 0 or ≥ 1 = off. */
  topP?: number;
  /** u32 (a JS number is reduced with >>> 0). */
  seed: number;
  /** Draw stream, see imageStep / textStep in rng.ts. */
  step: number;
  /** Draw position of row 0; row r draws at posOffset + r. */
  posOffset?: number;
  /** Element offset of row 0's code in `codes`. */
  outOffset?: number;
}

const KERNEL = 'sample';

/** codes[outOffset + r] = the sampled candidate of row r (relative to colOffset), for r < rows. */
export function recordSample(rec: Recorder, logits: GPUBuffer, codes: GPUBuffer, o: SampleOptions): void {
  const { ctx } = rec;
  const maxWg = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (o.rows > maxWg) throw new KernelShapeError(KERNEL, `rows=${o.rows} exceeds maxComputeWorkgroupsPerDimension ${maxWg} (one workgroup per row); split the call`);
  const logitsBinding = checkLogits(ctx, KERNEL, logits, o);
  const outOffset = o.outOffset ?? 0;
  const codesBinding = checkOut(ctx, KERNEL, 'codes', codes, outOffset, o.rows);
  const topK = o.topK ?? 0;
  const topP = o.topP ?? 0;
  const t = o.guidance ?? 0;
  const shape = `rows=${o.rows} V=${o.V}`;
  if (!Number.isInteger(topK) || topK < 0 || topK > o.V) throw new KernelShapeError(KERNEL, `topK must be an integer in [0, V], got ${topK} (${shape})`);
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new KernelShapeError(KERNEL, `temperature must be finite and ≥ 0, got ${o.temperature}`);
  if (!(topP >= 0)) throw new KernelShapeError(KERNEL, `topP must be ≥ 0, got ${topP}`);
  if (!Number.isFinite(t)) throw new KernelShapeError(KERNEL, `guidance must be finite, got ${t}`);
  const cfg = o.uncondOffset !== undefined && t !== 0;
  const { WG } = tuning.sample;
  rec.dispatch({
    shader: 'sample',
    defines: { WG },
    uniforms: {
      rows: o.rows, V: o.V, rowStride: o.rowStride, colOffset: o.colOffset ?? 0,
      uncondOffset: o.uncondOffset ?? 0, outOffset, seed: o.seed >>> 0, step: o.step >>> 0,
      posOffset: (o.posOffset ?? 0) >>> 0, topK, cfg: cfg ? 1 : 0,
      guidance: t, temperature: o.temperature, topP,
    },
    bindings: [logitsBinding, codesBinding],
    workgroups: [o.rows],
    label: `sample rows=${o.rows} V=${o.V}`,
  });
}

/** Debug: out[outOffset + i] = draw_u32(seed, step, posOffset + i) for i < count, from the shader's RNG. */
export function recordSampleDraws(rec: Recorder, out: GPUBuffer, o: { count: number; seed: number; step: number; posOffset?: number; outOffset?: number }): void {
  const { ctx } = rec;
  const outOffset = o.outOffset ?? 0;
  if (!Number.isInteger(o.count) || o.count < 0) throw new KernelShapeError('sample.draws', `count must be a non-negative integer, got ${o.count}`);
  const binding = checkOut(ctx, 'sample.draws', 'out', out, outOffset, o.count);
  const { WG } = tuning.sample;
  const wgs = ceilDiv(o.count, WG);
  if (wgs > ctx.limits.maxComputeWorkgroupsPerDimension) throw new KernelShapeError('sample.draws', `count=${o.count} needs more than maxComputeWorkgroupsPerDimension workgroups`);
  rec.dispatch({
    shader: 'sample',
    defines: { WG, DRAWS: 1 },
    uniforms: {
      rows: o.count, V: 0, rowStride: 0, colOffset: 0, uncondOffset: 0, outOffset, seed: o.seed >>> 0, step: o.step >>> 0,
      posOffset: (o.posOffset ?? 0) >>> 0, topK: 0, cfg: 0, guidance: 0, temperature: 0, topP: 0,
    },
    bindings: [binding],
    workgroups: [wgs],
    label: `sample.draws n=${o.count}`,
  });
}
