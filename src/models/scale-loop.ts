/** What every family's next-scale loop takes and yields (NextFlow text-to-image, VAR class-to-image). */

export interface ScaleLoopRequest {
  seed: number;
  cfg: number;
  topK: number;
  topP: number;
  temperature: number;
  /** Decode a preview after every scale (the last scale is always decoded). */
  previews: boolean;
  signal?: AbortSignal;
  /** For tests and goldens: read back the first `captureLogits` rows of raw cond/uncond logits per scale. */
  captureLogits?: number;
}

export interface ScaleLoopOutput {
  scale: number;
  grid: number;
  codes: number[];
  /** RGBA8 of the partial image after this scale, when previews are on (always for the last scale). */
  rgba?: Uint8ClampedArray;
  forwardMs: number;
  previewMs: number;
}
