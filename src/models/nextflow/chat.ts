/**
 * Chat on a NextFlow-family model: one sequence, one KV cache, text by next-token prediction and
 * images by next-scale prediction (tools/nextscale_tools/chat_runner.py is the reference; the
 * draws follow docs/sampling.md, so both agree token for token).
 *
 *   prefill: the conversation (chat-program.ts), one submit per text run or image block;
 *   decode:  head over [<eos>, <boi>, words…] of the last row → GPU sampler (step textStep(n)) →
 *            read back one u32 → <eos> ends the turn, a word streams out and is fed back (T = 1),
 *            <boi> is fed back and its row's logits start an image: scales 1..S−1 as in
 *            text-to-image (scale-step.ts), each with a preview; then (image.feed_back_finest) its closing
 *            block of finest codes and <eoi> are fed, and text resumes.
 * With CFG (images only) row 1 is the conversation with the last user message's words as <null>.
 */
import type { GpuContext } from '../../gpu/device';
import { Recorder } from '../../gpu/recorder';
import { readBuffer, writeBuffer } from '../../gpu/buffers';
import { recordLinear } from '../../kernels/matmul';
import { recordSample } from '../../kernels/sample';
import { imageStep, textStep } from '../../kernels/rng';
import { imageScalePositions, textPositions } from '../../kernels/rope-positions';
import type { ChatEvent, ChatMessage, ChatOptions, ChatPart, ChatReply, RgbaImage } from '../../api/types';
import { ContextTooLongError, ImageInputUnsupportedError, InvalidOptionError, ModelConfigError } from '../../api/errors';
import type { NextFlowModel } from './model';
import { chatProgram, imageCacheTokens, imageSpan, type ChatProgram } from './chat-program';
import { ScaleBuffers, recordBlockInput, recordClosingBlockInput, recordSampleScale, type ImageSampling } from './scale-step';
import { Workspace, recordEmbedTokens, recordHead, recordLayers } from './transformer';

/** For goldens: every drawn token id; the first `captureLogits` candidate logits of every text step and of every scale's cond rows. */
export interface ChatCapture {
  captureLogits?: number;
  tokens?: number[];
  text?: Float32Array[];
  images?: Float32Array[][];
}

export async function runChat(ctx: GpuContext, m: NextFlowModel, messages: ChatMessage[], opts: ChatOptions, onEvent?: (e: ChatEvent) => void, capture?: ChatCapture): Promise<ChatReply> {
  if (!messages.length || messages[messages.length - 1].role !== 'user') {
    throw new InvalidOptionError('messages', `${messages.length} messages`, 'a conversation that ends with a user message');
  }
  const encoded = await encodeImages(m, messages);
  const program = chatProgram(m.config, encoded, (t) => m.tokenizer.encode(t));
  const session = new ChatSession(ctx, m, program, opts, onEvent, capture);
  try {
    return await session.reply();
  } finally {
    session.release();
  }
}

/** User images become codes (on the GPU); assistant images already carry theirs. */
async function encodeImages(m: NextFlowModel, messages: ChatMessage[]): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (const msg of messages) {
    const parts: ChatPart[] = [];
    for (const p of msg.parts) {
      if (p.type !== 'image' || p.codes) {
        parts.push(p);
        continue;
      }
      if (!m.encoder) throw new ImageInputUnsupportedError(m.config.name);
      parts.push({ ...p, codes: await m.encoder.encode(p.image) });
    }
    out.push({ role: msg.role, parts });
  }
  return out;
}

class ChatSession {
  private readonly B: number;
  private readonly ws: Workspace;
  private readonly sb: ScaleBuffers;
  private readonly ids: GPUBuffer;
  private readonly textLogits: GPUBuffer;
  private readonly token: GPUBuffer;
  private readonly maxT: number;
  private readonly smp: ImageSampling;
  private readonly textTemperature: number;
  private readonly maxNew: number;
  private cacheLen = 0;
  private pos: number;
  private readonly words: number;

  constructor(
    private ctx: GpuContext,
    private m: NextFlowModel,
    private program: ChatProgram,
    private opts: ChatOptions,
    private onEvent?: (e: ChatEvent) => void,
    private capture?: ChatCapture,
  ) {
    const c = m.config;
    const d = c.sampling;
    this.smp = {
      cfg: opts.cfg ?? d.cfg,
      topK: opts.topK ?? d.topK,
      topP: opts.topP ?? d.topP,
      temperature: d.temperature,
      seed: opts.seed ?? Math.floor(Math.random() * 2 ** 32),
    };
    this.textTemperature = opts.temperature ?? d.textTemperature;
    checkOptions(this.smp, this.textTemperature);
    // The reply needs room for at least one token after the prompt.
    if (program.tokens + 1 > c.contextLength) throw new ContextTooLongError(program.tokens + 1, c.contextLength);
    this.maxNew = Math.min(opts.maxNewTokens ?? Infinity, c.contextLength - program.tokens);
    if (!(this.maxNew >= 1)) throw new InvalidOptionError('maxNewTokens', opts.maxNewTokens, 'an integer ≥ 1');
    this.B = this.smp.cfg !== 0 ? 2 : 1;
    const runs = program.items.map((it) => (it.kind === 'text' ? it.cond.length : 0));
    const G = c.vq.scales[c.vq.scales.length - 1];
    this.maxT = Math.max(1, G * G, ...runs);
    this.ws = new Workspace(ctx, c.arch, this.B, this.B * this.maxT, c.contextLength);
    this.sb = new ScaleBuffers(ctx, m, this.B, this.maxT);
    this.ids = ctx.pool.acquire(this.B * this.maxT * 4, 'chat-ids');
    this.words = c.vocab.textCount;
    this.textLogits = ctx.pool.acquire((2 + this.words) * 4, 'text-logits');
    this.token = ctx.pool.acquire(4, 'text-token');
    this.pos = program.nextPos;
  }

  release(): void {
    this.ws.release();
    this.sb.release();
    for (const b of [this.ids, this.textLogits, this.token]) this.ctx.pool.release(b);
  }

  async reply(): Promise<ChatReply> {
    const v = this.m.config.vocab;
    const parts: ChatPart[] = [];
    let stopReason: ChatReply['stopReason'] = 'max-tokens';
    let n = 0;
    let images = 0;
    let next = await this.prefill();
    while (n < this.maxNew) {
      if (this.opts.signal?.aborted) {
        stopReason = 'cancelled';
        break;
      }
      const tok = next;
      n++;
      if (tok === v.eos) {
        stopReason = 'eos';
        break;
      }
      if (tok === v.boi) {
        if (this.cacheLen + imageCacheTokens(this.m.config) > this.m.config.contextLength) break; // no room: max-tokens
        const part = parts.length;
        this.onEvent?.({ type: 'image-start', part });
        const img = await this.generateImage(images++, part);
        if (!img) {
          stopReason = 'cancelled';
          break;
        }
        parts.push({ type: 'image', image: img.image, codes: img.codes });
        this.onEvent?.({ type: 'image', part, image: img.image, codes: img.codes });
        if (n >= this.maxNew) break;
        if (this.m.config.vq.feedBackFinest) this.feedClosingBlock(img.p0); // sb.codes still hold its codes
        next = await this.feedText(v.eoi, n);
        continue;
      }
      const last = parts[parts.length - 1];
      const word = this.m.tokenizer.decode([tok]);
      const delta = last?.type === 'text' ? ' ' + word : word;
      if (last?.type === 'text') last.text += delta;
      else parts.push({ type: 'text', text: delta });
      this.onEvent?.({ type: 'text', text: delta });
      if (n >= this.maxNew || this.cacheLen + 1 > this.m.config.contextLength) break;
      next = await this.feedText(tok, n);
    }
    return { message: { role: 'assistant', parts }, stopReason, contextTokens: this.cacheLen, contextLength: this.m.config.contextLength };
  }

  /** Runs the whole program; returns the first sampled token of the reply. */
  private async prefill(): Promise<number> {
    const items = this.program.items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const last = i === items.length - 1;
      if (it.kind === 'text') {
        const rec = new Recorder(this.ctx, 'chat-prefill');
        this.recordText(rec, it.cond, it.uncond, it.pos0);
        if (last) this.recordTextSample(rec, it.cond.length - 1, 0);
        rec.submit();
      } else {
        writeBuffer(this.ctx, this.sb.codes, new Uint32Array(it.codes.flat()));
        for (let s = 1; s < this.m.config.vq.scales.length; s++) {
          const rec = new Recorder(this.ctx, `chat-prefill-image-${s}`);
          this.recordBlock(rec, s, it.p0);
          rec.submit();
        }
        if (this.m.config.vq.feedBackFinest) this.feedClosingBlock(it.p0);
      }
    }
    return this.readToken();
  }

  /** Feed one text token (both rows) and sample the next; `n` is the next token's index in the reply. */
  private async feedText(tok: number, n: number): Promise<number> {
    const rec = new Recorder(this.ctx, 'chat-decode');
    this.recordText(rec, [tok], [tok], this.pos);
    this.pos += 1;
    this.recordTextSample(rec, 0, n);
    rec.submit();
    return this.readToken();
  }

  /** Embed + layers over T tokens per row at cache position cacheLen (causal). */
  private recordText(rec: Recorder, cond: number[], uncond: number[], pos0: number): void {
    const T = cond.length;
    const c = this.m.config;
    writeBuffer(this.ctx, this.ids, new Uint32Array(this.B === 2 ? [...cond, ...uncond] : cond));
    writeBuffer(this.ctx, this.ws.positions, textPositions(pos0, T));
    recordEmbedTokens(rec, this.m.transformer, c.arch, this.ws, this.ids, this.B * T, c.vocab.size);
    recordLayers(rec, this.m.transformer, c.arch, this.ws, { T, start: this.cacheLen, mask: 'causal' });
    this.cacheLen += T;
  }

  /** Image block s (inputs from sb.codes of scale s−1) at cache position cacheLen. */
  private recordBlock(rec: Recorder, s: number, p0: number): void {
    const c = this.m.config;
    const h = c.vq.scales[s];
    writeBuffer(this.ctx, this.ws.positions, imageScalePositions(p0, s, h, h, c.arch.ropeImageRange));
    recordBlockInput(rec, this.m, this.ws, this.sb, s);
    recordLayers(rec, this.m.transformer, c.arch, this.ws, { T: h * h, start: this.cacheLen, mask: 'block' });
    this.cacheLen += h * h;
  }

  /**
   * The closing block of the whole image in sb.codes (its finest codes), at cache position cacheLen.
   * Its own submit, not shared with the `<eoi>` step that follows: both write ws.positions with
   * queue.writeBuffer, which lands before any recorded pass of the submit, so one recorder would run
   * both passes with the second's positions. (Costs one ~3 ms round trip per image on SwiftShader.)
   */
  private feedClosingBlock(p0: number): void {
    const c = this.m.config;
    const S = c.vq.scales.length;
    const G = c.vq.scales[S - 1];
    const rec = new Recorder(this.ctx, 'chat-closing-block');
    writeBuffer(this.ctx, this.ws.positions, imageScalePositions(p0, S, G, G, c.arch.ropeImageRange));
    recordClosingBlockInput(rec, this.m, this.ws, this.sb);
    recordLayers(rec, this.m.transformer, c.arch, this.ws, { T: G * G, start: this.cacheLen, mask: 'block' });
    this.cacheLen += G * G;
    rec.submit();
  }

  /**
   * Logits of the cond row's token `row` (of the last forward) over [<eos>, <boi>, words…] and a
   * draw at step textStep(n) into `token`. The other specials are left out, so they can never be drawn.
   */
  private recordTextSample(rec: Recorder, row: number, n: number): void {
    const c = this.m.config;
    const v = c.vocab;
    const D = c.arch.dim;
    const head = this.m.transformer.head;
    const wordsPerRow = head.dtype === 'f16' ? D / 2 : D;
    const x = { buffer: this.ws.n, offset: row * D };
    const w = (col: number) => ({ dtype: head.dtype, w: { buffer: head.buffer, offset: head.offset + col * wordsPerRow } });
    if (v.boi !== v.eos + 1) throw new ModelConfigError('chat needs <boi> right after <eos> in the vocab');
    recordLinear(rec, { M: 1, K: D, N: 2, x, weights: w(v.eos), y: { buffer: this.textLogits } });
    recordLinear(rec, { M: 1, K: D, N: this.words, x, weights: w(v.textStart), y: { buffer: this.textLogits, offset: 2 } });
    const V = 2 + this.words;
    recordSample(rec, this.textLogits, this.token, {
      rows: 1,
      V,
      rowStride: V,
      temperature: this.textTemperature,
      topK: this.smp.topK,
      topP: this.smp.topP,
      seed: this.smp.seed,
      step: textStep(n),
    });
  }

  /** The sampled candidate as a vocab id (and the captured logits, for goldens). */
  private async readToken(): Promise<number> {
    const v = this.m.config.vocab;
    const k = this.capture?.captureLogits;
    if (k) (this.capture!.text ??= []).push(new Float32Array(await readBuffer(this.ctx, this.textLogits, 0, k * 4)));
    const i = new Uint32Array(await readBuffer(this.ctx, this.token, 0, 4))[0];
    const tok = i < 2 ? v.eos + i : v.textStart + (i - 2);
    this.capture?.tokens?.push(tok);
    return tok;
  }

  /**
   * The image after a sampled <boi>: feed <boi>, sample scale 0 from its row, then blocks 1..S−1.
   * Returns undefined when cancelled (the partial image is dropped: it cannot be read back as a whole).
   */
  private async generateImage(k: number, part: number): Promise<{ image: RgbaImage; codes: number[][]; p0: number } | undefined> {
    const c = this.m.config;
    const v = c.vocab;
    const scales = c.vq.scales;
    const S = scales.length;
    const V = v.imageCount;
    const size = c.vq.imageSize;
    const codes: number[][] = [];
    const t0 = performance.now();
    const p0 = this.pos + 1;
    const record: Float32Array[] = [];
    let rgba: Uint8ClampedArray | undefined;
    for (let s = 0; s < S; s++) {
      if (this.opts.signal?.aborted) return undefined;
      const t1 = performance.now();
      const h = scales[s];
      const rec = new Recorder(this.ctx, `chat-image-${s}`);
      if (s === 0) {
        this.recordText(rec, [v.boi], [v.boi], this.pos);
        recordHead(rec, this.m.transformer, c.arch, this.ws, this.sb.logits, { T: 1, rowOfBatch: (b) => b, col0: v.imageStart, ncols: V });
      } else {
        this.recordBlock(rec, s, p0);
        recordHead(rec, this.m.transformer, c.arch, this.ws, this.sb.logits, { T: h * h, rowOfBatch: (b) => b * h * h, col0: v.imageStart, ncols: V });
      }
      recordSampleScale(rec, this.m, this.sb, s, this.B, this.smp, imageStep(k, s));
      rec.submit();
      const off = this.sb.layout.offsets[s];
      codes.push(Array.from(new Uint32Array(await readBuffer(this.ctx, this.sb.codes, off * 4, h * h * 4))));
      const keep = this.capture?.captureLogits;
      if (keep) record.push(new Float32Array(await readBuffer(this.ctx, this.sb.logits, 0, Math.min(keep, h * h) * V * 4)));
      const forwardMs = performance.now() - t1;
      const t2 = performance.now();
      const preview = this.opts.previews ?? true;
      if (preview || s === S - 1) rgba = await this.m.decoder.decodeToRgba(this.sb.fhat);
      const previewMs = performance.now() - t2;
      this.onEvent?.({
        type: 'image-scale',
        part,
        scale: {
          type: 'scale', scale: s, scales: S, grid: h, codes: codes[s],
          preview: preview && rgba ? { width: size, height: size, data: rgba.slice() } : undefined,
          timings: { forwardMs, previewMs, elapsedMs: performance.now() - t0 },
        },
      });
    }
    this.pos = p0 + imageSpan(c);
    if (this.capture?.captureLogits) (this.capture.images ??= []).push(record);
    return { image: { width: size, height: size, data: rgba! }, codes, p0 };
  }
}

function checkOptions(smp: ImageSampling, textTemperature: number): void {
  if (!(smp.cfg >= 0) || !Number.isFinite(smp.cfg)) throw new InvalidOptionError('cfg', smp.cfg, 'a number ≥ 0');
  if (!Number.isInteger(smp.topK) || smp.topK < 0) throw new InvalidOptionError('topK', smp.topK, 'an integer ≥ 0 (0 = off)');
  if (!(smp.topP >= 0 && smp.topP <= 1)) throw new InvalidOptionError('topP', smp.topP, 'a number in [0, 1] (0 or 1 = off)');
  if (!(textTemperature >= 0) || !Number.isFinite(textTemperature)) throw new InvalidOptionError('temperature', textTemperature, 'a number ≥ 0 (0 = greedy)');
  if (!Number.isInteger(smp.seed) || smp.seed < 0 || smp.seed > 0xffffffff) throw new InvalidOptionError('seed', smp.seed, 'an integer in [0, 2^32)');
}
