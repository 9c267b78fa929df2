/**
 * Infinity's scale schedules (the official utils/dynamic_resolution.py, exactly) and the 2D RoPE positions
 * of a schedule's tokens: each scale's grid snaps onto the grid of its aspect ratio's largest (1M)
 * schedule, row i at round(i·H/h), column j at round(j·W/w), computed as the official code does (a
 * float32 product, rounded half to even). Positions keep running across scales: token n of the whole
 * sequence has the n-th position.
 */
import { InvalidOptionError } from '../../api/errors';

/** h/w ratio → the (h, w) token grid of each of the 13 scales of its largest schedule. */
const RATIO_SCALES: ReadonlyArray<readonly [number, ReadonlyArray<readonly [number, number]>]> = [
  [1.0, [[1, 1], [2, 2], [4, 4], [6, 6], [8, 8], [12, 12], [16, 16], [20, 20], [24, 24], [32, 32], [40, 40], [48, 48], [64, 64]]],
  [1.25, [[1, 1], [2, 2], [3, 3], [5, 4], [10, 8], [15, 12], [20, 16], [25, 20], [30, 24], [35, 28], [45, 36], [55, 44], [70, 56]]],
  [1.333, [[1, 1], [2, 2], [4, 3], [8, 6], [12, 9], [16, 12], [20, 15], [24, 18], [28, 21], [36, 27], [48, 36], [60, 45], [72, 54]]],
  [1.5, [[1, 1], [2, 2], [3, 2], [6, 4], [9, 6], [15, 10], [21, 14], [27, 18], [33, 22], [39, 26], [48, 32], [63, 42], [78, 52]]],
  [1.75, [[1, 1], [2, 2], [3, 3], [7, 4], [11, 6], [14, 8], [21, 12], [28, 16], [35, 20], [42, 24], [56, 32], [70, 40], [84, 48]]],
  [2.0, [[1, 1], [2, 2], [4, 2], [6, 3], [10, 5], [16, 8], [22, 11], [30, 15], [38, 19], [46, 23], [60, 30], [74, 37], [90, 45]]],
  [2.5, [[1, 1], [2, 2], [5, 2], [10, 4], [15, 6], [20, 8], [25, 10], [30, 12], [40, 16], [50, 20], [65, 26], [80, 32], [100, 40]]],
  [3.0, [[1, 1], [2, 2], [6, 2], [9, 3], [15, 5], [21, 7], [27, 9], [36, 12], [45, 15], [54, 18], [72, 24], [90, 30], [111, 37]]],
];

/** Scales per resolution class: 256 (0.06M), 512 (0.25M), 0.60M, 1024 (1M). */
export const RESOLUTION_SCALES: Readonly<Record<number, number>> = { 256: 7, 512: 10, 768: 12, 1024: 13 };
export const RESOLUTIONS = Object.keys(RESOLUTION_SCALES).map(Number);

/** Every template: the ratios above and their inverses (w/h truncated to 3 decimals, as official). */
const TEMPLATES: ReadonlyArray<{ hDivW: number; scales: ReadonlyArray<readonly [number, number]> }> = RATIO_SCALES.flatMap(([r, hw]) =>
  r === 1 ? [{ hDivW: r, scales: hw }] : [{ hDivW: r, scales: hw }, { hDivW: Math.trunc((1 / r) * 1000) / 1000, scales: hw.map(([h, w]) => [w, h] as const) }],
);

export interface InfinitySchedule {
  /** h/w of the template used. */
  hDivW: number;
  /** [h, w] of each scale, coarse to fine. */
  scales: Array<[number, number]>;
  /** The last [h, w] of the ratio's largest schedule (the RoPE grid). */
  ropeGrid: [number, number];
  /** Tokens in the whole sequence. */
  tokens: number;
}

/** "16:9", "1:1", "0.5" (h/w) or a number (h/w) → h/w. */
export function parseAspect(aspect: string | number): number {
  if (typeof aspect === 'number') return aspect;
  const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(aspect);
  // "W:H" as photographers write it (16:9 is landscape): h/w = H/W.
  const v = m ? Number(m[2]) / Number(m[1]) : Number(aspect);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidOptionError('aspect', aspect, 'a width:height such as "1:1" or "16:9", or h/w as a number');
  return v;
}

/** The official schedule nearest to h/w for a resolution class (256, 512, 768, 1024). */
export function infinitySchedule(hDivW = 1, resolution = 256): InfinitySchedule {
  const n = RESOLUTION_SCALES[resolution];
  if (!n) throw new InvalidOptionError('resolution', resolution, `one of ${RESOLUTIONS.join(', ')}`);
  if (!(hDivW > 0) || !Number.isFinite(hDivW)) throw new InvalidOptionError('aspect', hDivW, 'a positive h/w ratio');
  let best = TEMPLATES[0];
  for (const t of TEMPLATES) if (Math.abs(t.hDivW - hDivW) < Math.abs(best.hDivW - hDivW)) best = t;
  const scales = best.scales.slice(0, n).map(([h, w]) => [h, w] as [number, number]);
  const last = best.scales[best.scales.length - 1];
  return { hDivW: best.hDivW, scales, ropeGrid: [last[0], last[1]], tokens: scales.reduce((s, [h, w]) => s + h * w, 0) };
}

/** Round half to even (torch.round). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** (row, col) of every token of the sequence on the RoPE grid, [tokens, 2] as pairs. */
export function ropePositions(s: InfinitySchedule): Int32Array {
  const out = new Int32Array(s.tokens * 2);
  const [H, W] = s.ropeGrid;
  let n = 0;
  for (const [h, w] of s.scales) {
    const fh = Math.fround(H / h);
    const fw = Math.fround(W / w);
    for (let i = 0; i < h; i++) {
      const r = roundHalfEven(Math.fround(i * fh));
      for (let j = 0; j < w; j++, n++) {
        out[2 * n] = r;
        out[2 * n + 1] = roundHalfEven(Math.fround(j * fw));
      }
    }
  }
  return out;
}

/**
 * cos and sin [tokens, headDim/2] of the rotation of each interleaved pair (2i, 2i+1): the first headDim/4
 * pairs turn with the row, the rest with the column, at frequencies 10000^(−2k/(headDim/2)).
 */
export function ropeTables(s: InfinitySchedule, headDim: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const q = half / 2;
  const inv = Float32Array.from({ length: q }, (_, k) => 1 / Math.fround(10000 ** Math.fround((2 * k) / half)));
  const pos = ropePositions(s);
  const cos = new Float32Array(s.tokens * half);
  const sin = new Float32Array(s.tokens * half);
  for (let n = 0; n < s.tokens; n++) {
    for (let k = 0; k < half; k++) {
      const a = Math.fround(pos[2 * n + (k < q ? 0 : 1)] * inv[k % q]);
      cos[n * half + k] = Math.cos(a);
      sin[n * half + k] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/** What both backends' steps derive from a schedule: the grids, the image's size and each scale's first token. */
export interface ScheduleGeometry {
  shapes: ReadonlyArray<readonly [number, number]>;
  /** max(h, w) of each scale (the engine's square "grid"). */
  grids: number[];
  imageHeight: number;
  imageWidth: number;
  imageSize: number;
  /** First token of each scale in the sequence. */
  begins: number[];
  /** Tokens of the largest scale. */
  maxT: number;
}

/** `upLevels`: the decoder's resolution levels (each above the first doubles the side). */
export function scheduleGeometry(s: InfinitySchedule, upLevels: number): ScheduleGeometry {
  const [H, W] = s.scales[s.scales.length - 1];
  const up = 2 ** (upLevels - 1);
  const begins: number[] = [];
  let n = 0;
  for (const [h, w] of s.scales) {
    begins.push(n);
    n += h * w;
  }
  return {
    shapes: s.scales, grids: s.scales.map(([h, w]) => Math.max(h, w)), imageHeight: H * up, imageWidth: W * up, imageSize: Math.max(H, W) * up,
    begins, maxT: Math.max(...s.scales.map(([h, w]) => h * w)),
  };
}
