/**
 * The one scale driver: for every family and for images inside chat replies, each scale is
 *   schedule (the family's ImageSteps) → run on the backend → read its codes → decode a preview → event.
 * A scale is one backend step (one submit on WebGPU) that reads back only its codes; the preview is a
 * second step that reads back only its pixels, so forwardMs and previewMs time each part alone.
 */
import type { Backend } from '../backends/backend';
import type { ImageSteps } from '../models/family';
import { throwIfAborted } from '../api/errors';

export interface ScaleDriverOptions {
  /** Decode a preview after every scale (the last scale is always decoded). */
  previews: boolean;
  signal?: AbortSignal;
  /** What a cancellation is reported as ("Image generation"). */
  what?: string;
  /** For tests and goldens: read back the first `captureLogits` rows of raw cond/uncond logits per scale (and f̂ at the end). */
  captureLogits?: number;
  /** For tests and goldens: false skips the decode of the last scale too (default true: the image always comes). */
  finalImage?: boolean;
}

export interface ScaleOutput {
  scale: number;
  grid: number;
  codes: number[];
  /** RGBA8 of the partial image after this scale, when previews are on (always for the last scale). */
  rgba?: Uint8ClampedArray;
  /** Scheduling, running and reading the codes of this scale. */
  forwardMs: number;
  /** Decoding and reading the preview. */
  previewMs: number;
  /** With captureLogits: the raw logits of the first rows. */
  logits?: { cond: Float32Array; uncond?: Float32Array; rows: number };
  /** With captureLogits, at the last scale: the final f̂ (when the family exposes it). */
  fhat?: Float32Array;
  /** [h, w] of this scale's grid. */
  shape: [number, number];
  /** With captureLogits, before the last scale: the next scale's input tokens (when the family exposes them). */
  nextInput?: Float32Array;
  /** With captureLogits, at the last scale: the decoded image as f32 [3, H, W] (when the family exposes it). */
  image?: Float32Array;
}

export async function* driveScales<W, O>(backend: Backend<W, O>, steps: ImageSteps<W, O>, o: ScaleDriverOptions): AsyncGenerator<ScaleOutput> {
  const S = steps.grids.length;
  for (let s = 0; s < S; s++) {
    throwIfAborted(o.signal, o.what ?? 'Image generation');
    const t0 = performance.now();
    const grid = steps.grids[s];
    const last = s === S - 1;
    const work = backend.begin(`scale-${s}`);
    const outputs: Record<string, O> = { codes: steps.scheduleScale(work, s) };
    const [h, w] = steps.shapes?.[s] ?? [grid, grid];
    const rows = Math.min(o.captureLogits ?? 0, h * w);
    if (rows && steps.logitsOutputs) {
      const l = steps.logitsOutputs(s, rows);
      outputs.cond = l.cond;
      if (l.uncond) outputs.uncond = l.uncond;
    }
    if (o.captureLogits && last && steps.fhatOutput) outputs.fhat = steps.fhatOutput();
    if (o.captureLogits && !last && steps.nextInputOutput) outputs.next = steps.nextInputOutput();
    const got = await backend.run(work, outputs);
    const codes = Array.from(new Uint32Array(got.codes));
    const logits = got.cond ? { cond: new Float32Array(got.cond), uncond: got.uncond ? new Float32Array(got.uncond) : undefined, rows } : undefined;
    const fhat = got.fhat ? new Float32Array(got.fhat) : undefined;
    const nextInput = got.next ? new Float32Array(got.next) : undefined;
    const forwardMs = performance.now() - t0;
    let rgba: Uint8ClampedArray | undefined;
    let image: Float32Array | undefined;
    let previewMs = 0;
    if (o.previews || (last && o.finalImage !== false)) {
      const t1 = performance.now();
      const pw = backend.begin(`preview-${s}`);
      const want: Record<string, O> = { rgba: steps.schedulePreview(pw) };
      if (o.captureLogits && last && steps.imageOutput) want.image = steps.imageOutput();
      const px = await backend.run(pw, want);
      rgba = new Uint8ClampedArray(px.rgba);
      if (px.image) image = new Float32Array(px.image);
      previewMs = performance.now() - t1;
    }
    yield { scale: s, grid, shape: [h, w], codes, rgba, forwardMs, previewMs, logits, fhat, nextInput, image };
  }
}
