/**
 * One chat reply of a family with chat, as the engine's chat driver (engine/chat-driver.ts) runs it:
 * the conversation is read into the KV cache by the prefill steps, then each text token is one step
 * (feed the last token, sample the next), and a sampled <boi> hands over to the scale driver with the
 * image's own ImageSteps. Like every family step, these only schedule work and say where results land.
 */
import type { GpuOutput, Recorder } from '../gpu/recorder';
import type { ImageSteps } from './image-steps';

/** Where a text step leaves its sampled token (one u32) and, for goldens, its first candidate logits. */
export interface TokenOutputs<Output> {
  token: Output;
  /** The first `k` candidate logits (f32) when the step was asked to capture them. */
  logits?: Output;
}

export interface ChatSteps<Work = Recorder, Output = GpuOutput> {
  /** The model's context, in tokens. */
  readonly contextLength: number;
  /** Tokens in the KV cache after the steps run so far (after the prefill: the whole conversation). */
  readonly cacheTokens: number;
  /** Tokens of the conversation and the opening <assistant>, once read. */
  readonly promptTokens: number;
  /** Of those, the tokens already in the KV cache from the previous turn (kept, not read again). */
  readonly reusedTokens: number;
  /** Tokens one whole image adds to the cache, from its <boi> to its <eoi>. */
  readonly imageTokens: number;
  /** The special tokens the driver acts on. */
  readonly special: { readonly eos: number; readonly boi: number; readonly eoi: number };
  /** The prefill as steps, run in order. The last one samples the reply's first token and returns where it lands. */
  prefillSteps(): Array<(work: Work, captureLogits?: number) => TokenOutputs<Output> | undefined>;
  /** Feed `token` and sample token `n` of the reply. */
  scheduleText(work: Work, token: number, n: number, captureLogits?: number): TokenOutputs<Output>;
  /** The read-back bytes of a token output → its vocab id. */
  tokenId(raw: ArrayBuffer): number;
  /** The text of a word token. */
  word(token: number): string;
  /** The steps of the k-th image of the reply; its scale 0 feeds the <boi> just sampled. */
  image(k: number): ImageSteps<Work, Output>;
  /** Steps that close a finished image (its `codes`) before its <eoi> is fed (e.g. the block of its finest codes). */
  afterImageSteps(codes: number[][]): Array<(work: Work) => void>;
  release(): void;
}
