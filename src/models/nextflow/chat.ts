/**
 * Chat on a NextFlow-family model: one sequence, one KV cache, text by next-token prediction and
 * images by next-scale prediction (tools/nextscale_tools/chat_runner.py is the reference; the
 * draws follow docs/sampling.md, so both agree token for token).
 *
 *   prefill: the conversation (chat-program.ts), one step per text run or image block;
 *   decode:  head over [<eos>, <boi>, words…] of the last row → GPU sampler (step textStep(n)) →
 *            one u32 → <eos> ends the turn, a word streams out and is fed back (T = 1),
 *            <boi> is fed back and its row's logits start an image: scales 1..S−1 as in
 *            text-to-image (scale-step.ts); then (image.feed_back_finest) its closing
 *            block of finest codes and <eoi> are fed, and text resumes.
 * With CFG (images only) row 1 is the conversation with the last user message's words as <null>.
 * Scheduled only: engine/chat-driver.ts runs the steps and reads the tokens back.
 */
import type { GpuContext } from '../../gpu/device';
import type { GpuOutput, Recorder } from '../../gpu/recorder';
import { writeBuffer } from '../../gpu/buffers';
import { recordLinear } from '../../kernels/matmul';
import { recordSample } from '../../kernels/sample';
import { imageStep, textStep } from '../../kernels/rng';
import { imageScalePositions, textPositions } from '../../kernels/rope-positions';
import { ModelConfigError } from '../../api/errors';
import type { ChatSteps, TokenOutputs } from '../chat-steps';
import type { ImageSampling, ImageSteps } from '../family';
import type { NextFlowModel } from './model';
import { imageCacheTokens, imageSpan, type ChatProgram } from './chat-program';
import { CacheLog } from './cache-log';
import { ScaleBuffers, recordBlockInput, recordClosingBlockInput, recordSampleScale } from './scale-step';
import { Workspace, headColumns, recordEmbedTokens, recordHead, recordLayers } from './transformer';

export class NextFlowChatSteps implements ChatSteps {
  readonly contextLength: number;
  promptTokens: number;
  /** Tokens of the prompt that were in the KV cache already (a later turn of the same conversation). */
  reusedTokens = 0;
  readonly imageTokens: number;
  readonly special: { eos: number; boi: number; eoi: number };
  private readonly B: number;
  private readonly ws: Workspace;
  private readonly sb: ScaleBuffers;
  private readonly ids: GPUBuffer;
  private readonly textLogits: GPUBuffer;
  private readonly token: GPUBuffer;
  private readonly words: number;
  private readonly maxT: number;
  /** What the KV cache holds, for the next turn to keep what its program starts with. */
  private readonly log = new CacheLog();
  private cacheLen = 0;
  private pos: number;
  /** RoPE position of the first block of the image being generated. */
  private imageP0 = 0;

  constructor(
    private ctx: GpuContext,
    private m: NextFlowModel,
    private program: ChatProgram,
    private smp: ImageSampling,
    private textTemperature: number,
    /** The window this conversation uses: the model's context, or less (ChatOptions.contextLength). */
    contextLength = m.config.contextLength,
  ) {
    const c = m.config;
    const v = c.vocab;
    this.contextLength = contextLength;
    this.promptTokens = program.tokens;
    this.imageTokens = imageCacheTokens(c);
    this.special = { eos: v.eos, boi: v.boi, eoi: v.eoi };
    // The text sampler's candidates are [<eos>, <boi>, words…], with <boi> read as <eos> + 1.
    if (v.boi !== v.eos + 1) throw new ModelConfigError('chat needs <boi> right after <eos> in the vocab');
    this.B = smp.cfg !== 0 ? 2 : 1;
    const runs = program.items.map((it) => (it.kind === 'text' ? it.cond.length : 0));
    const G = c.vq.scales[c.vq.scales.length - 1];
    const maxT = (this.maxT = Math.max(1, G * G, ...runs));
    this.ws = new Workspace(ctx, c.arch, this.B, this.B * maxT, contextLength);
    this.sb = new ScaleBuffers(ctx, m, this.B, maxT);
    this.ids = ctx.pool.acquire(this.B * maxT * 4, 'chat-ids');
    this.words = c.vocab.textCount;
    this.textLogits = ctx.pool.acquire((2 + this.words) * 4, 'text-logits');
    this.token = ctx.pool.acquire(4, 'text-token');
    this.pos = program.nextPos;
  }

  get cacheTokens(): number {
    return this.cacheLen;
  }

  /**
   * Take the next turn of the same conversation on this cache: keep the prefix of `program` that the
   * cache holds and prefill only the rest. False when these buffers cannot serve it (another CFG
   * setting, or a text run longer than they hold): then a new one is made.
   */
  resume(program: ChatProgram, smp: ImageSampling, textTemperature: number): boolean {
    if ((smp.cfg !== 0 ? 2 : 1) !== this.B) return false;
    const { tokens, rest } = this.log.keepPrefixOf(program, this.imageTokens - 2);
    if (rest.some((it) => it.kind === 'text' && it.cond.length > this.maxT)) return false;
    this.program = { items: rest, nextPos: program.nextPos, tokens: program.tokens };
    this.promptTokens = program.tokens;
    this.reusedTokens = tokens;
    this.cacheLen = tokens;
    this.pos = program.nextPos;
    this.smp = smp;
    this.textTemperature = textTemperature;
    return true;
  }

  release(): void {
    this.ws.release();
    this.sb.release();
    for (const b of [this.ids, this.textLogits, this.token]) this.ctx.pool.release(b);
  }

  prefillSteps(): Array<(rec: Recorder, captureLogits?: number) => TokenOutputs<GpuOutput> | undefined> {
    const steps: Array<(rec: Recorder, captureLogits?: number) => TokenOutputs<GpuOutput> | undefined> = [];
    const items = this.program.items;
    items.forEach((it, i) => {
      if (it.kind === 'text') {
        const last = i === items.length - 1;
        steps.push((rec, k) => {
          this.recordText(rec, it.cond, it.uncond, it.pos0);
          return last ? this.recordTextSample(rec, it.cond.length - 1, 0, k) : undefined;
        });
        return;
      }
      // Each block is its own step: the blocks' positions are written with queue.writeBuffer, which
      // lands before every pass of a submit, so two blocks in one step would share the second's.
      const blocks: Array<(rec: Recorder) => void> = [];
      for (let s = 1; s < this.m.config.vq.scales.length; s++) blocks.push((rec) => this.recordBlock(rec, s, it.p0));
      if (this.m.config.vq.feedBackFinest) blocks.push((rec) => this.recordClosingBlock(rec, it.p0));
      // The image is whole in the cache once its last block is recorded.
      const lastBlock = blocks.pop();
      blocks.push((rec) => {
        lastBlock?.(rec);
        this.log.image(it.codes, it.p0, this.imageTokens - 2);
      });
      const writeCodes = () => writeBuffer(this.ctx, this.sb.codes, new Uint32Array(it.codes.flat()));
      if (!blocks.length) steps.push(() => void writeCodes());
      blocks.forEach((block, j) =>
        steps.push((rec) => {
          if (j === 0) writeCodes();
          block(rec);
          return undefined;
        }),
      );
    });
    return steps;
  }

  scheduleText(rec: Recorder, tok: number, n: number, captureLogits?: number): TokenOutputs<GpuOutput> {
    this.recordText(rec, [tok], [tok], this.pos);
    this.pos += 1;
    return this.recordTextSample(rec, 0, n, captureLogits);
  }

  tokenId(raw: ArrayBuffer): number {
    const v = this.m.config.vocab;
    const i = new Uint32Array(raw)[0];
    return i < 2 ? v.eos + i : v.textStart + (i - 2);
  }

  word(tok: number): string {
    return this.m.tokenizer.decode([tok]);
  }

  image(k: number): ImageSteps {
    this.imageP0 = this.pos + 1;
    const c = this.m.config;
    const v = c.vocab;
    const V = v.imageCount;
    const p0 = this.imageP0;
    const S = c.vq.scales.length;
    return {
      grids: c.vq.scales,
      imageSize: c.vq.imageSize,
      scheduleScale: (rec, s) => {
        const h = c.vq.scales[s];
        if (s === 0) {
          this.recordText(rec, [v.boi], [v.boi], this.pos);
          recordHead(rec, this.m.transformer, c.arch, this.ws, this.sb.logits, { T: 1, rowOfBatch: (b) => b, col0: v.imageStart, ncols: V });
        } else {
          this.recordBlock(rec, s, p0);
          recordHead(rec, this.m.transformer, c.arch, this.ws, this.sb.logits, { T: h * h, rowOfBatch: (b) => b * h * h, col0: v.imageStart, ncols: V });
        }
        recordSampleScale(rec, this.m, this.sb, s, this.B, this.smp, imageStep(k, s));
        if (s === S - 1) this.pos = p0 + imageSpan(c);
        return { buffer: this.sb.codes, offset: this.sb.layout.offsets[s] * 4, bytes: h * h * 4 };
      },
      schedulePreview: (rec) => this.m.decoder.schedule(rec, this.sb.fhat),
      logitsOutputs: (_s, rows) => ({ cond: { buffer: this.sb.logits, offset: 0, bytes: rows * V * 4 } }),
      release: () => {},
    };
  }

  afterImageSteps(codes: number[][]): Array<(rec: Recorder) => void> {
    const p0 = this.imageP0;
    const whole = () => this.log.image(codes, p0, this.imageTokens - 2);
    if (!this.m.config.vq.feedBackFinest) {
      whole();
      return [];
    }
    // sb.codes still hold the finished image's codes.
    return [
      (rec) => {
        this.recordClosingBlock(rec, p0);
        whole();
      },
    ];
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
    this.log.text(cond, uncond, pos0);
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
   * Its own step, not shared with the `<eoi>` step that follows: both write ws.positions with
   * queue.writeBuffer, which lands before any recorded pass of the submit, so one step would run
   * both passes with the second's positions. (Costs one ~3 ms round trip per image on SwiftShader.)
   */
  private recordClosingBlock(rec: Recorder, p0: number): void {
    const c = this.m.config;
    const S = c.vq.scales.length;
    const G = c.vq.scales[S - 1];
    writeBuffer(this.ctx, this.ws.positions, imageScalePositions(p0, S, G, G, c.arch.ropeImageRange));
    recordClosingBlockInput(rec, this.m, this.ws, this.sb);
    recordLayers(rec, this.m.transformer, c.arch, this.ws, { T: G * G, start: this.cacheLen, mask: 'block' });
    this.cacheLen += G * G;
  }

  /**
   * Logits of the cond row's token `row` (of the last forward) over [<eos>, <boi>, words…] and a
   * draw at step textStep(n) into `token`. The other specials are left out, so they can never be drawn.
   */
  private recordTextSample(rec: Recorder, row: number, n: number, captureLogits?: number): TokenOutputs<GpuOutput> {
    const c = this.m.config;
    const v = c.vocab;
    const D = c.arch.dim;
    const x = { buffer: this.ws.n, offset: row * D };
    const head = headColumns(this.m.transformer, D);
    recordLinear(rec, { M: 1, K: D, N: 2, x, weights: head(v.eos), y: { buffer: this.textLogits } });
    recordLinear(rec, { M: 1, K: D, N: this.words, x, weights: head(v.textStart), y: { buffer: this.textLogits, offset: 2 } });
    const V = 2 + this.words;
    recordSample(rec, this.textLogits, this.token, {
      rows: 1, V, rowStride: V, temperature: this.textTemperature, topK: this.smp.topK, topP: this.smp.topP, seed: this.smp.seed, step: textStep(n),
    });
    return {
      token: { buffer: this.token, offset: 0, bytes: 4 },
      logits: captureLogits ? { buffer: this.textLogits, offset: 0, bytes: Math.min(captureLogits, V) * 4 } : undefined,
    };
  }
}
