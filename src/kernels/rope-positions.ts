/**
 * NextFlow's multi-scale 3D RoPE positions, built on the CPU as f32 [T, 3] for rope.ts.
 * Text token t → (t, t, t). Image cell (i, j) (i = row) of an H×W grid at scale s →
 * (p0 + C·(i+0.5)/H, p0 + C·(j+0.5)/W, p0 + s): normalised coordinates, so one place of the
 * image has one position at every scale and resolution; C is a config constant.
 */

/** Positions of `n` text tokens starting at position `start`: rows (t, t, t). */
export function textPositions(start: number, n: number): Float32Array {
  const out = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) out.fill(start + k, 3 * k, 3 * k + 3);
  return out;
}

/** Positions of one scale: an H×W grid (row-major cells) at scale index s, offset by p0. */
export function imageScalePositions(p0: number, s: number, H: number, W: number, C: number): Float32Array {
  const out = new Float32Array(3 * H * W);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const o = 3 * (i * W + j);
      out[o] = p0 + (C * (i + 0.5)) / H;
      out[o + 1] = p0 + (C * (j + 0.5)) / W;
      out[o + 2] = p0 + s;
    }
  }
  return out;
}

export type PositionSegment = { text: number } | { image: { p0: number; scales: ReadonlyArray<readonly [number, number]> } };

/**
 * Positions of a whole sequence: text runs and images, in order. Text continues from `start`
 * (one position per token, whatever images come between); an image lists its scales' grids
 * [H, W] in order (scale index s = 0, 1, …) at its own offset p0 (typically the position of
 * the token that opens the image).
 */
export function nextflowPositions(segments: readonly PositionSegment[], C: number, start = 0): Float32Array {
  const parts: Float32Array[] = [];
  let t = start;
  for (const seg of segments) {
    if ('text' in seg) {
      parts.push(textPositions(t, seg.text));
      t += seg.text;
    } else {
      seg.image.scales.forEach(([h, w], s) => parts.push(imageScalePositions(seg.image.p0, s, h, w, C)));
    }
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
