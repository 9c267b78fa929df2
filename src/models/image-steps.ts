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
  /** The token grid (h = w) of every scale, coarse to fine. */
  readonly grids: readonly number[];
  /** Side of the decoded image, in pixels. */
  readonly imageSize: number;
  /** Schedule scale s: its forward, the sampling of its codes and the f̂ update. Returns where its codes (u32, row-major) land. */
  scheduleScale(work: Work, s: number): Output;
  /** Schedule the decode of the partial image (f̂ after the latest scale) to RGBA8; returns where the pixels land. */
  schedulePreview(work: Work): Output;
  /** For goldens: where the first `rows` rows of scale s's raw logits are (valid right after scale s ran). */
  logitsOutputs?(s: number, rows: number): { cond: Output; uncond?: Output };
  /** For goldens: where f̂ is (valid after the last scale). */
  fhatOutput?(): Output;
  /** Return every working buffer. */
  release(): void;
}
