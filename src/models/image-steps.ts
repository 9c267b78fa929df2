/**
 * One image's next-scale generation as a family schedules it, scale by scale, for the engine's scale
 * driver (engine/scale-driver.ts). Scheduling only: the driver runs each step on the backend.
 */
import type { GpuOutput, Recorder } from '../gpu/recorder';

/** Sampling settings of one image, resolved (defaults applied, validated). */
export interface ImageSampling {
  seed: number;
  cfg: number;
  topK: number;
  topP: number;
  temperature: number;
}

/** One image's next-scale generation, as the scale driver (engine/scale-driver.ts) runs it. */
export interface ImageSteps<Work = Recorder, Output = GpuOutput> {
  /** The token grid (h = w) of every scale, coarse to fine (for a non-square schedule, max(h, w)). */
  readonly grids: readonly number[];
  /** Non-square schedules (Infinity's aspect ratios): [h, w] of every scale. */
  readonly shapes?: ReadonlyArray<readonly [number, number]>;
  /** Side of the decoded image, in pixels (for a non-square image, its larger side). */
  readonly imageSize: number;
  /** A non-square image's height and width in pixels (default: imageSize both). */
  readonly imageHeight?: number;
  readonly imageWidth?: number;
  /** Schedule scale s: its forward, the sampling of its codes and the f̂ update. Returns where its codes (u32, row-major) land. */
  scheduleScale(work: Work, s: number): Output;
  /** Schedule the decode of the partial image (f̂ after the latest scale) to RGBA8; returns where the pixels land. */
  schedulePreview(work: Work): Output;
  /** For goldens: where the first `rows` rows of scale s's raw logits are (valid right after scale s ran). */
  logitsOutputs?(s: number, rows: number): { cond: Output; uncond?: Output };
  /** For goldens: where f̂ is (valid after the last scale). */
  fhatOutput?(): Output;
  /** For goldens: the last decoded image as f32 [3, H, W] in [−1, 1] (valid after a preview ran). */
  imageOutput?(): Output;
  /** For goldens: the next scale's input tokens (valid after scale s < S − 1 ran). */
  nextInputOutput?(): Output;
  /** For goldens: feed these codes at scale s instead of sampling (teacher forcing). */
  teacherForce?(s: number, codes: ArrayLike<number>): void;
  /** Return every working buffer. */
  release(): void;
}
