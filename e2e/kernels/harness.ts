/**
 * The kernel test harness, shared by the browser page (Playwright) and the Node runner (Dawn).
 * A suite makes its cases from a seeded RNG, so shapes are random but every failure prints the
 * seed that reproduces it (SEED=<n>).
 */
import type { GpuContext } from '../../src/gpu/device';

export interface KernelCase {
  /** Says the shape, e.g. "M=13 K=64 N=169 f16". */
  name: string;
  /** Throws (usually through expectClose) when the GPU result is wrong. */
  run(ctx: GpuContext): Promise<void>;
}

export interface KernelSuite {
  name: string;
  /** Stated tolerance, printed with the results, e.g. "atol 1e-4 + rtol 1e-4". */
  tolerance: string;
  cases(rng: Rng): KernelCase[];
}

export interface CaseResult {
  suite: string;
  case: string;
  ok: boolean;
  error?: string;
  ms: number;
}

/** mulberry32: small, fast, seeded. Only for making test data, not for sampling. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  floats(n: number, scale = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.normal() * scale;
    return a;
  }
}

/** Odd sizes every suite should hit: one token, a few, a prime, a full 13×13 scale. */
export const ODD_TOKEN_COUNTS = [1, 3, 5, 13, 169] as const;

export class MismatchError extends Error {}

/**
 * Throws when |a-e| > atol + rtol·|e| anywhere, naming the first bad index and the worst error.
 * NaN or Infinity where the reference is finite always fails.
 */
export function expectClose(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol?: number },
): void {
  if (actual.length !== expected.length) throw new MismatchError(`${label}: length ${actual.length} != ${expected.length}`);
  const rtol = tol.rtol ?? 0;
  let worst = 0;
  let worstAt = -1;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const ok = Number.isFinite(e) ? Number.isFinite(a) && err <= tol.atol + rtol * Math.abs(e) : Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!ok) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  if (bad > 0) {
    throw new MismatchError(
      `${label}: ${bad}/${expected.length} elements off (atol ${tol.atol}, rtol ${rtol}); ` +
        `first at [${firstBad}] got ${actual[firstBad]} want ${expected[firstBad]}; ` +
        `worst |err| ${worst} at [${worstAt}] got ${actual[worstAt]} want ${expected[worstAt]}`,
    );
  }
}

/** Exact equality for integer outputs (codes, indices). */
export function expectEqual(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  if (actual.length !== expected.length) throw new MismatchError(`${label}: length ${actual.length} != ${expected.length}`);
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  if (bad) throw new MismatchError(`${label}: ${bad}/${expected.length} differ; first at [${firstBad}] got ${actual[firstBad]} want ${expected[firstBad]}`);
}

/** Expect `fn` to throw an error of class `cls` (typed errors for bad input). */
export async function expectThrows(label: string, cls: new (...a: never[]) => Error, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof cls) return;
    throw new MismatchError(`${label}: threw ${(e as Error)?.name}: ${(e as Error)?.message}, wanted ${cls.name}`);
  }
  throw new MismatchError(`${label}: did not throw, wanted ${cls.name}`);
}

/** Run one suite; each case runs inside validation and OOM error scopes so no GPU error passes silently. */
export async function runSuite(ctx: GpuContext, suite: KernelSuite, seed: number, filter?: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const rng = new Rng(seed);
  for (const c of suite.cases(rng)) {
    if (filter && !c.name.includes(filter)) continue;
    const t0 = performance.now();
    ctx.device.pushErrorScope('validation');
    ctx.device.pushErrorScope('out-of-memory');
    let error: string | undefined;
    try {
      await c.run(ctx);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const oom = await ctx.device.popErrorScope();
    const val = await ctx.device.popErrorScope();
    if (!error && val) error = `GPU validation error: ${val.message}`;
    if (!error && oom) error = `GPU out-of-memory error: ${oom.message}`;
    results.push({ suite: suite.name, case: c.name, ok: !error, error, ms: performance.now() - t0 });
  }
  return results;
}
