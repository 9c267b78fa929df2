/**
 * The sampler of docs/sampling.md §2 on the CPU, for the wasm backend: CFG → temperature → top-k →
 * softmax → top-p → one counter-based draw walked in index order, with float32 rounding (Math.fround)
 * wherever it decides the token, so that it draws what shaders/sample.wgsl draws. (The GPU sums in
 * another order; draws within ~1e-5 of a boundary may pick a neighbour, as the goldens allow.)
 * Scratch arrays are reused between rows: one image scale samples hundreds of rows.
 */
import { uniform } from '../../kernels/rng';

const f = Math.fround;

export interface CpuSampleOptions {
  /** Candidates per row. */
  V: number;
  /** CFG guidance t; 0 skips CFG. */
  guidance: number;
  /** 0 = greedy (lowest index among the maxima). */
  temperature: number;
  /** 0 or ≥ V = off. */
  topK: number;
  /** 0 or ≥ 1 = off. */
  topP: number;
  seed: number;
  step: number;
}

export class CpuSampler {
  private l = new Float32Array(0);
  private e = new Float32Array(0);
  private sorted = new Float32Array(0);

  /**
   * The code of one row: `cond[condAt .. condAt+V)`, and with CFG `uncond[uncondAt ..)`. `pos` is the
   * draw position (the row's index within its scale, or 0 for text).
   */
  row(o: CpuSampleOptions, cond: Float32Array, condAt: number, uncond: Float32Array | null, uncondAt: number, pos: number): number {
    const V = o.V;
    if (this.l.length < V) {
      this.l = new Float32Array(V);
      this.e = new Float32Array(V);
      this.sorted = new Float32Array(V);
    }
    const l = this.l;
    const t = o.guidance;
    if (uncond && t !== 0) {
      const a = f(1 + f(t));
      const ft = f(t);
      for (let i = 0; i < V; i++) l[i] = f(f(a * cond[condAt + i]) - f(ft * uncond[uncondAt + i]));
    } else {
      for (let i = 0; i < V; i++) l[i] = cond[condAt + i];
    }
    if (o.temperature === 0) {
      let best = 0;
      for (let i = 1; i < V; i++) if (l[i] > l[best]) best = i;
      return best;
    }
    let m = -Infinity;
    for (let i = 0; i < V; i++) {
      l[i] = f(l[i] / o.temperature);
      if (l[i] > m) m = l[i];
    }
    // top-k: keep every logit ≥ the k-th largest (counting repeats); kept entries get e > 0, others 0.
    let tauK = -Infinity;
    if (o.topK > 0 && o.topK < V) {
      const s = this.sorted.subarray(0, V);
      s.set(l.subarray(0, V));
      s.sort();
      tauK = s[V - o.topK];
    }
    const e = this.e;
    let sum = 0;
    let kept = 0;
    for (let i = 0; i < V; i++) {
      if (l[i] >= tauK) {
        e[i] = f(Math.exp(f(l[i] - m)));
        sum = f(sum + e[i]);
        kept++;
      } else {
        e[i] = -1; // dropped (a kept e can underflow to 0 and must stay distinguishable)
      }
    }
    // top-p: the largest τ among kept e whose descending prefix mass reaches p·Σe; drop e < τ.
    let tauP = -Infinity;
    if (o.topP > 0 && o.topP < 1) {
      const thr = f(o.topP * sum);
      const s = this.sorted.subarray(0, kept);
      let n = 0;
      for (let i = 0; i < V; i++) if (e[i] >= 0) s[n++] = e[i];
      s.sort();
      let cum = 0;
      for (let j = kept - 1; j >= 0; j--) {
        cum = f(cum + s[j]);
        if (cum >= thr) {
          tauP = s[j];
          break;
        }
      }
    }
    let total = 0;
    let last = -1;
    for (let i = 0; i < V; i++) {
      if (e[i] < 0 || e[i] < tauP) continue;
      total = f(total + e[i]);
      last = i;
    }
    const target = f(uniform(o.seed, o.step, pos) * total);
    let run = 0;
    for (let i = 0; i < V; i++) {
      if (e[i] < 0 || e[i] < tauP) continue;
      run = f(run + e[i]);
      if (run > target) return i;
    }
    return last;
  }
}
