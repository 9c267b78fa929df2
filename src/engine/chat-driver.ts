/**
 * The chat driver: one assistant reply, for any family with chat. It runs the family's ChatSteps
 * through the backend: the prefill, then one step per text token (a sampled word streams out and is
 * fed back), and on a sampled <boi> the scale driver with the image's own steps. It keeps the
 * context accounting: a reply never runs a step past the model's context.
 */
import type { Backend } from '../backends/backend';
import type { ChatSteps, TokenOutputs } from '../models/chat-steps';
import type { LoadedModel } from '../models/family';
import type { DroppedTurns, ChatEvent, ChatMessage, ChatOptions, ChatPart, ChatReply, RgbaImage } from '../api/types';
import { CancelledError, ContextTooLongError, ImageInputUnsupportedError, InvalidOptionError, UnsupportedTaskError } from '../api/errors';
import { chatSampling } from './sampling-options';
import { fitConversation } from './context-policy';
import { driveScales } from './scale-driver';

/** For goldens: every drawn token id; the first `captureLogits` candidate logits of every text step and of every scale's cond rows. */
export interface ChatCapture {
  captureLogits?: number;
  tokens?: number[];
  text?: Float32Array[];
  images?: Float32Array[][];
}

/**
 * A conversation's KV cache between turns (held by the engine): the steps of its last reply. The next
 * turn keeps the prefix of its program that the cache holds and reads only the rest.
 */
export interface ChatSession<W, O> {
  steps?: ChatSteps<W, O>;
}

/** Free a session's cache (a new model, a lost device, dispose). */
export function endChatSession<W, O>(session: ChatSession<W, O>): void {
  session.steps?.release();
  session.steps = undefined;
}

/** ChatOptions.contextLength: a whole number of tokens, at most the model's context (which is the default). */
function contextWindow(asked: number | undefined, model: number): number {
  if (asked === undefined) return model;
  if (!Number.isInteger(asked) || asked < 2 || asked > model) throw new InvalidOptionError('contextLength', asked, `an integer in [2, ${model}] (this model's context)`);
  return asked;
}

export async function runChat<W, O>(
  backend: Backend<W, O>, model: LoadedModel<W, O>, messages: ChatMessage[], opts: ChatOptions, onEvent?: (e: ChatEvent) => void, capture?: ChatCapture, session?: ChatSession<W, O>,
): Promise<ChatReply> {
  if (!model.chat) throw new UnsupportedTaskError(model.info.name, 'chat', 'It is an image generator: call generateImage().');
  if (!messages.length || messages[messages.length - 1].role !== 'user') {
    throw new InvalidOptionError('messages', `${messages.length} messages`, 'a conversation that ends with a user message');
  }
  const { image, textTemperature } = chatSampling(opts, model.sampling);
  const window = contextWindow(opts.contextLength, model.info.contextLength);
  const fitted: { messages: ChatMessage[]; dropped?: DroppedTurns } = model.chatTokens
    ? fitConversation(messages, { contextLength: window, tokens: model.chatTokens, imageTokens: model.imageTokens ?? 0 })
    : { messages };
  if (fitted.dropped) onEvent?.({ type: 'context', dropped: fitted.dropped });
  const encoded = await encodeImages(backend, model, fitted.messages);
  const previous = session?.steps;
  if (session) session.steps = undefined; // owned by this turn until it ends well
  const steps = model.chat(encoded, image, textTemperature, previous, window);
  let keep = false;
  try {
    const ctx = steps.contextLength;
    // The reply needs room for at least one token after the prompt.
    if (steps.promptTokens + 1 > ctx) throw new ContextTooLongError(steps.promptTokens + 1, ctx);
    const maxNew = Math.min(opts.maxNewTokens ?? Infinity, ctx - steps.promptTokens);
    if (!(maxNew >= 1)) throw new InvalidOptionError('maxNewTokens', opts.maxNewTokens, 'an integer ≥ 1');
    const r = await reply(backend, steps, maxNew, opts, onEvent, capture);
    keep = !!session;
    return { ...r, reusedTokens: steps.reusedTokens, ...(fitted.dropped ? { dropped: fitted.dropped } : {}) };
  } finally {
    if (keep) session!.steps = steps;
    else steps.release();
  }
}

/** The per-scale codes (row-major) of an image in the model's input size, through its image encoder (one backend step). */
export async function encodeImage<W, O>(backend: Backend<W, O>, model: LoadedModel<W, O>, image: RgbaImage): Promise<number[][]> {
  if (!model.encodeImage) throw new ImageInputUnsupportedError(model.info.name);
  const work = backend.begin('encode-image');
  const enc = model.encodeImage(work, image);
  const got = await backend.run(work, { codes: enc.codes });
  return enc.split(got.codes);
}

/** User images become codes (one backend step each); assistant images already carry theirs. */
async function encodeImages<W, O>(backend: Backend<W, O>, model: LoadedModel<W, O>, messages: ChatMessage[]): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const msg of messages) {
    const parts: ChatPart[] = [];
    for (const p of msg.parts) {
      if (p.type !== 'image' || p.codes) {
        parts.push(p);
        continue;
      }
      parts.push({ ...p, codes: await encodeImage(backend, model, p.image) });
    }
    out.push({ role: msg.role, parts });
  }
  return out;
}

async function reply<W, O>(backend: Backend<W, O>, steps: ChatSteps<W, O>, maxNew: number, opts: ChatOptions, onEvent?: (e: ChatEvent) => void, capture?: ChatCapture): Promise<ChatReply> {
  const { eos, boi, eoi } = steps.special;
  const k = capture?.captureLogits;
  /** Run one text step and read its token (and the captured logits). */
  const token = async (label: string, schedule: (w: W) => TokenOutputs<O>): Promise<number> => {
    const work = backend.begin(label);
    const out = schedule(work);
    const outputs: Record<string, O> = { token: out.token };
    if (out.logits) outputs.logits = out.logits;
    const got = await backend.run(work, outputs);
    if (got.logits) (capture!.text ??= []).push(new Float32Array(got.logits));
    const tok = steps.tokenId(got.token);
    capture?.tokens?.push(tok);
    return tok;
  };
  const prefill = steps.prefillSteps();
  let next = -1;
  for (let i = 0; i < prefill.length; i++) {
    if (i < prefill.length - 1) {
      const work = backend.begin('chat-prefill');
      prefill[i](work, k);
      await backend.run(work, {});
    } else next = await token('chat-prefill', (w) => prefill[i](w, k)!);
  }

  const parts: ChatPart[] = [];
  let stopReason: ChatReply['stopReason'] = 'max-tokens';
  let n = 0;
  let images = 0;
  while (n < maxNew) {
    if (opts.signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }
    const tok = next;
    n++;
    if (tok === eos) {
      stopReason = 'eos';
      break;
    }
    if (tok === boi) {
      if (steps.cacheTokens + steps.imageTokens > steps.contextLength) break; // no room: max-tokens
      const part = parts.length;
      onEvent?.({ type: 'image-start', part });
      const img = await generateImage(backend, steps, images++, part, opts, onEvent, capture);
      if (!img) {
        stopReason = 'cancelled';
        break;
      }
      parts.push({ type: 'image', image: img.image, codes: img.codes });
      onEvent?.({ type: 'image', part, image: img.image, codes: img.codes });
      if (n >= maxNew) break;
      for (const close of steps.afterImageSteps(img.codes)) {
        const work = backend.begin('chat-closing-block');
        close(work);
        await backend.run(work, {});
      }
      const m = n;
      next = await token('chat-decode', (w) => steps.scheduleText(w, eoi, m, k));
      continue;
    }
    const last = parts[parts.length - 1];
    const word = steps.word(tok);
    const delta = last?.type === 'text' ? ' ' + word : word;
    if (last?.type === 'text') last.text += delta;
    else parts.push({ type: 'text', text: delta });
    onEvent?.({ type: 'text', text: delta });
    if (n >= maxNew || steps.cacheTokens + 1 > steps.contextLength) break;
    const m = n;
    next = await token('chat-decode', (w) => steps.scheduleText(w, tok, m, k));
  }
  return { message: { role: 'assistant', parts }, stopReason, contextTokens: steps.cacheTokens, contextLength: steps.contextLength };
}

/** The k-th image of the reply, scale by scale. Undefined when cancelled (a partial image cannot be read back whole). */
async function generateImage<W, O>(
  backend: Backend<W, O>, steps: ChatSteps<W, O>, k: number, part: number, opts: ChatOptions, onEvent?: (e: ChatEvent) => void, capture?: ChatCapture,
): Promise<{ image: RgbaImage; codes: number[][] } | undefined> {
  const img = steps.image(k);
  const S = img.grids.length;
  const size = img.imageSize;
  const preview = opts.previews ?? true;
  const codes: number[][] = [];
  const logits: Float32Array[] = [];
  const t0 = performance.now();
  let rgba: Uint8ClampedArray | undefined;
  try {
    for await (const o of driveScales(backend, img, { previews: preview, signal: opts.signal, captureLogits: capture?.captureLogits })) {
      codes.push(o.codes);
      if (o.logits) logits.push(o.logits.cond);
      if (o.rgba) rgba = o.rgba;
      onEvent?.({
        type: 'image-scale',
        part,
        scale: {
          type: 'scale', scale: o.scale, scales: S, grid: o.grid, codes: o.codes,
          preview: preview && o.rgba ? { width: size, height: size, data: o.rgba.slice() } : undefined,
          timings: { forwardMs: o.forwardMs, previewMs: o.previewMs, elapsedMs: performance.now() - t0 },
        },
      });
    }
  } catch (e) {
    if (e instanceof CancelledError) return undefined;
    throw e;
  } finally {
    img.release();
  }
  if (capture?.captureLogits) (capture.images ??= []).push(logits);
  return { image: { width: size, height: size, data: rgba! }, codes };
}
