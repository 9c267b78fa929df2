/**
 * The backend seam: what the engine's drivers (engine/scale-driver.ts, engine/chat-driver.ts) call
 * to run the work a model family scheduled. Families never run anything themselves ("schedule,
 * never run"): each step is scheduled into the backend's `Work` (WebGPU: a command Recorder), the
 * step names the outputs the driver needs (`Output`: WebGPU, a buffer range), and the backend runs
 * the step and reads exactly those back.
 *
 * WebGPU (backends/webgpu/) is the first implementation. A second backend is one folder that
 * implements this interface and the families' steps for its own `Work` (docs/architecture.md).
 */
export interface Backend<Work = unknown, Output = unknown> {
  /** 'webgpu', 'wasm', …: shown in ModelInfo and logs. */
  readonly name: string;
  /** Start scheduling one step. */
  begin(label: string): Work;
  /** Run a scheduled step and read back the named outputs (the bytes of each, in order of the keys). */
  run<K extends string>(work: Work, outputs: Readonly<Record<K, Output>>): Promise<Record<K, ArrayBuffer>>;
}
