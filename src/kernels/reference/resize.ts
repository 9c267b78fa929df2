/**
 * CPU references of the resizes, written from PyTorch's definitions (float64):
 * bicubic (align_corners=False, A=−0.75, unclamped source coordinate, border-clamped taps) and
 * bilinear (align_corners=False, no antialias, source clamped at 0) and
 * area (adaptive average pooling with bins [floor(i·in/out), ceil((i+1)·in/out))).
 * Input NCHW [B, C, inH, inW]; output NCHW or tokens [B, outH·outW, C].
 */
type Layout = 'nchw' | 'tokens';

function outIndex(layout: Layout, b: number, c: number, p: number, C: number, HW: number): number {
  return layout === 'tokens' ? (b * HW + p) * C + c : (b * C + c) * HW + p;
}

const A = -0.75;
const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| ≤ 1
const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2

/** Taps (clamped indices) and weights for every output position along one axis. */
function cubicAxis(inN: number, outN: number): { idx: number[][]; w: number[][] } {
  const scale = inN / outN;
  const idx: number[][] = [];
  const w: number[][] = [];
  for (let o = 0; o < outN; o++) {
    const s = (o + 0.5) * scale - 0.5;
    const f = Math.floor(s);
    const t = s - f;
    idx.push([f - 1, f, f + 1, f + 2].map((i) => Math.min(Math.max(i, 0), inN - 1)));
    w.push([cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)]);
  }
  return { idx, w };
}

export function resizeBicubicRef(x: ArrayLike<number>, B: number, C: number, inH: number, inW: number, outH: number, outW: number, layout: Layout = 'nchw'): Float64Array {
  const out = new Float64Array(B * C * outH * outW);
  const ay = cubicAxis(inH, outH);
  const ax = cubicAxis(inW, outW);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * inH * inW;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let acc = 0;
          for (let k = 0; k < 4; k++) {
            let row = 0;
            for (let j = 0; j < 4; j++) row += ax.w[ox][j] * x[base + ay.idx[oy][k] * inW + ax.idx[ox][j]];
            acc += ay.w[oy][k] * row;
          }
          out[outIndex(layout, b, c, oy * outW + ox, C, outH * outW)] = acc;
        }
    }
  return out;
}

/** Bilinear as F.interpolate(mode='bilinear', align_corners=False, antialias=False), float64. */
export function resizeBilinearRef(x: ArrayLike<number>, B: number, C: number, inH: number, inW: number, outH: number, outW: number, layout: Layout = 'nchw'): Float64Array {
  const out = new Float64Array(B * C * outH * outW);
  const axis = (inN: number, outN: number) =>
    Array.from({ length: outN }, (_, o) => {
      const s = Math.max(0, (o + 0.5) * (inN / outN) - 0.5);
      const i0 = Math.min(Math.floor(s), inN - 1);
      return { i0, i1: Math.min(i0 + 1, inN - 1), l: s - i0 };
    });
  const ay = axis(inH, outH);
  const ax = axis(inW, outW);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * inH * inW;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const { i0: y0, i1: y1, l: ly } = ay[oy];
          const { i0: x0, i1: x1, l: lx } = ax[ox];
          const at = (y: number, xx: number) => x[base + y * inW + xx];
          const v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
          out[outIndex(layout, b, c, oy * outW + ox, C, outH * outW)] = v;
        }
    }
  return out;
}

export function resizeAreaRef(x: ArrayLike<number>, B: number, C: number, inH: number, inW: number, outH: number, outW: number, layout: Layout = 'nchw'): Float64Array {
  const out = new Float64Array(B * C * outH * outW);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * inH * inW;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = Math.floor((oy * inH) / outH);
        const y1 = Math.ceil(((oy + 1) * inH) / outH);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = Math.floor((ox * inW) / outW);
          const x1 = Math.ceil(((ox + 1) * inW) / outW);
          let acc = 0;
          for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) acc += x[base + y * inW + xx];
          out[outIndex(layout, b, c, oy * outW + ox, C, outH * outW)] = acc / ((y1 - y0) * (x1 - x0));
        }
      }
    }
  return out;
}
