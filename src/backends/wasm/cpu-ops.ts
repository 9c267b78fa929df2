/**
 * The small glue ops of next-scale generation on the CPU, for the wasm backend: codebook lookups, the
 * bicubic and bilinear resizes between scales and the f32 → RGBA8 conversion. They touch a few thousand values per
 * scale (the heavy math runs in onnxruntime), and follow the WGSL kernels' definitions:
 * bicubic is PyTorch's (align_corners=False, A = −0.75, border-clamped taps), RGBA rounds half to even.
 */

export type MapLayout = 'nchw' | 'tokens';

/**
 * out = E[codes] as one map of `hw` cells with C channels: 'nchw' is [C, hw], 'tokens' is [hw, C].
 * Codes ≥ V clamp to V − 1, like the shader.
 */
export function gatherCodes(codes: ArrayLike<number>, codesAt: number, hw: number, codebook: Float32Array, V: number, C: number, layout: MapLayout, out: Float32Array): void {
  for (let p = 0; p < hw; p++) {
    const row = Math.min(codes[codesAt + p], V - 1) * C;
    if (layout === 'tokens') out.set(codebook.subarray(row, row + C), p * C);
    else for (let c = 0; c < C; c++) out[c * hw + p] = codebook[row + c];
  }
}

interface CubicAxis {
  idx: Int32Array;
  w: Float32Array;
}

const A = -0.75;
const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
const axes = new Map<string, CubicAxis>();

/** The four taps (clamped) and weights of every output position along one axis, cached by size. */
function cubicAxis(inN: number, outN: number): CubicAxis {
  const key = `${inN}:${outN}`;
  let a = axes.get(key);
  if (!a) {
    a = { idx: new Int32Array(4 * outN), w: new Float32Array(4 * outN) };
    const scale = inN / outN;
    for (let o = 0; o < outN; o++) {
      const s = (o + 0.5) * scale - 0.5;
      const fl = Math.floor(s);
      const t = s - fl;
      const ws = [far(t + 1), near(t), near(1 - t), far(2 - t)];
      for (let k = 0; k < 4; k++) {
        a.idx[4 * o + k] = Math.min(Math.max(fl - 1 + k, 0), inN - 1);
        a.w[4 * o + k] = ws[k];
      }
    }
    axes.set(key, a);
  }
  return a;
}

/**
 * Bicubic resize of x [C, inH, inW] to [C, outH, outW] ('nchw') or [outH·outW, C] ('tokens');
 * `accumulate` adds into `out` instead of overwriting it (f̂ += …).
 */
export function resizeBicubic(x: Float32Array, C: number, inH: number, inW: number, outH: number, outW: number, layout: MapLayout, out: Float32Array, accumulate = false): void {
  const ay = cubicAxis(inH, outH);
  const ax = cubicAxis(inW, outW);
  const HW = outH * outW;
  for (let c = 0; c < C; c++) {
    const base = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) {
          const r = base + ay.idx[4 * oy + k] * inW;
          let row = 0;
          for (let j = 0; j < 4; j++) row += ax.w[4 * ox + j] * x[r + ax.idx[4 * ox + j]];
          acc += ay.w[4 * oy + k] * row;
        }
        const p = oy * outW + ox;
        const o = layout === 'tokens' ? p * C + c : c * HW + p;
        out[o] = accumulate ? out[o] + acc : acc;
      }
    }
  }
}

/** Taps and weights of PyTorch's bilinear resize along one axis (align_corners=False, no antialias). */
function linearAxis(inN: number, outN: number): { i0: Int32Array; i1: Int32Array; l1: Float32Array } {
  const scale = Math.fround(inN / outN);
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const l1 = new Float32Array(outN);
  for (let o = 0; o < outN; o++) {
    const src = Math.max(0, Math.fround(Math.fround(scale * (o + 0.5)) - 0.5));
    i0[o] = Math.min(Math.floor(src), inN - 1);
    i1[o] = Math.min(i0[o] + 1, inN - 1);
    l1[o] = src - i0[o];
  }
  return { i0, i1, l1 };
}

/**
 * Bilinear resize of x [C, inH, inW] to [C, outH, outW] ('nchw') or [outH·outW, C] ('tokens'), as
 * F.interpolate(mode='bilinear', align_corners=False) (Infinity's trilinear with T = 1); `accumulate`
 * adds into `out` (f̂ += …). The same size copies.
 */
export function resizeBilinear(x: Float32Array, C: number, inH: number, inW: number, outH: number, outW: number, layout: MapLayout, out: Float32Array, accumulate = false): void {
  const ay = linearAxis(inH, outH);
  const ax = linearAxis(inW, outW);
  const same = inH === outH && inW === outW;
  const HW = outH * outW;
  for (let c = 0; c < C; c++) {
    const base = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = base + ay.i0[oy] * inW;
      const r1 = base + ay.i1[oy] * inW;
      const ly = ay.l1[oy];
      for (let ox = 0; ox < outW; ox++) {
        let v: number;
        if (same) v = x[base + oy * inW + ox];
        else {
          const a = ax.i0[ox];
          const b = ax.i1[ox];
          const lx = ax.l1[ox];
          v = (1 - ly) * ((1 - lx) * x[r0 + a] + lx * x[r0 + b]) + ly * ((1 - lx) * x[r1 + a] + lx * x[r1 + b]);
        }
        const p = oy * outW + ox;
        const o = layout === 'tokens' ? p * C + c : c * HW + p;
        out[o] = accumulate ? out[o] + v : v;
      }
    }
  }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** An image [3, H, W] in [−1, 1] → one u32 per pixel, RGBA8 little-endian (what the WebGPU decode reads back). */
export function imageToRgba(img: Float32Array, H: number, W: number): Uint32Array {
  const hw = H * W;
  const to8 = (x: number) => roundHalfEven(Math.fround(Math.fround(Math.min(1, Math.max(-1, x)) * 127.5) + 127.5));
  const out = new Uint32Array(hw);
  for (let i = 0; i < hw; i++) out[i] = (to8(img[i]) | (to8(img[hw + i]) << 8) | (to8(img[2 * hw + i]) << 16) | (255 << 24)) >>> 0;
  return out;
}

/** Area resize (adaptive average pooling, PyTorch's bins) of x [C, inH, inW] to out [C, outH, outW]. */
export function resizeArea(x: Float32Array, C: number, inH: number, inW: number, outH: number, outW: number, out: Float32Array): void {
  for (let c = 0; c < C; c++) {
    const base = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = Math.floor((oy * inH) / outH);
      const y1 = Math.ceil(((oy + 1) * inH) / outH);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = Math.floor((ox * inW) / outW);
        const x1 = Math.ceil(((ox + 1) * inW) / outW);
        let acc = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) acc += x[base + y * inW + xx];
        out[(c * outH + oy) * outW + ox] = acc / ((y1 - y0) * (x1 - x0));
      }
    }
  }
}

/**
 * codes[at + p] = argmin_k ||E_k||² − 2·r_p·E_k for each of the HW cells of r [C, HW] (lowest k on ties),
 * the VQ encoder's quantization (shaders/codebook_nearest.wgsl). `norms` holds ||E_k||².
 */
export function nearestCodes(r: Float32Array, HW: number, codebook: Float32Array, norms: Float32Array, V: number, C: number, codes: Uint32Array, at: number): void {
  const cell = new Float32Array(C);
  for (let p = 0; p < HW; p++) {
    for (let c = 0; c < C; c++) cell[c] = r[c * HW + p];
    let best = Infinity;
    let arg = 0;
    for (let k = 0; k < V; k++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += cell[c] * codebook[k * C + c];
      const d = norms[k] - 2 * dot;
      if (d < best) {
        best = d;
        arg = k;
      }
    }
    codes[at + p] = arg;
  }
}

/** ||E_k||² of every codebook row. */
export function codebookNorms(codebook: Float32Array, V: number, C: number): Float32Array {
  const out = new Float32Array(V);
  for (let k = 0; k < V; k++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += codebook[k * C + c] ** 2;
    out[k] = s;
  }
  return out;
}
