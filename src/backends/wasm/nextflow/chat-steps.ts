/**
 * Chat on a NextFlow-family model on the CPU backend: the steps of models/nextflow/chat.ts (WebGPU), on
 * one NextFlowSequence. The prefill reads the conversation (text runs causal, images as their blocks and
 * closing block); each text token is one forward of T = 1 and a draw over [<eos>, <boi>, words…] at
 * textStep(n); a sampled <boi> starts an image whose scales run on the same cache.
 * Positions, the cache log and the accounting advance when a step is scheduled (as on WebGPU); the
 * forwards run when the backend runs the step.
 */
import { imageStep, textStep } from '../../../kernels/rng';
import { imageScalePositions, textPositions } from '../../../kernels/rope-positions';
import { ModelConfigError } from '../../../api/errors';
import type { ChatSteps, TokenOutputs } from '../../../models/chat-steps';
import type { ImageSampling, ImageSteps } from '../../../models/family';
import { imageCacheTokens, imageSpan, type ChatProgram } from '../../../models/nextflow/chat-program';
import { CacheLog } from '../../../models/nextflow/cache-log';
import type { WasmOutput, WasmWork } from '../backend';
import { CpuSampler } from '../sample';
import type { WasmNextFlowModel } from './model';
import type { NextFlowSequence } from './sequence';
import { WasmScaleState } from './scale-state';

export class WasmNextFlowChatSteps implements ChatSteps<WasmWork, WasmOutput> {
  readonly contextLength: number;
  promptTokens: number;
  reusedTokens = 0;
  readonly imageTokens: number;
  readonly special: { eos: number; boi: number; eoi: number };
  private readonly seq: NextFlowSequence;
  private readonly state: WasmScaleState;
  private readonly log = new CacheLog();
  private readonly sampler = new CpuSampler();
  private cacheLen = 0;
  private pos: number;
  private imageP0 = 0;
  /** The last forward's logits [B, T, vocab] and its T. */
  private last: { logits: Float32Array; T: number } = { logits: new Float32Array(0), T: 0 };
  private token = new Uint32Array(1);
  private textLogits = new Float32Array(0);

  constructor(
    private m: WasmNextFlowModel,
    private program: ChatProgram,
    private smp: ImageSampling,
    private textTemperature: number,
    contextLength = m.config.contextLength,
  ) {
    const v = m.config.vocab;
    this.contextLength = contextLength;
    this.promptTokens = program.tokens;
    this.imageTokens = imageCacheTokens(m.config);
    this.special = { eos: v.eos, boi: v.boi, eoi: v.eoi };
    if (v.boi !== v.eos + 1) throw new ModelConfigError('chat needs <boi> right after <eos> in the vocab');
    this.seq = m.sequence(smp.cfg !== 0 ? 2 : 1);
    this.state = new WasmScaleState(m);
    this.pos = program.nextPos;
  }

  get cacheTokens(): number {
    return this.cacheLen;
  }

  /** The next turn of the same conversation on this cache (see NextFlowChatSteps.resume). */
  resume(program: ChatProgram, smp: ImageSampling, textTemperature: number): boolean {
    if ((smp.cfg !== 0 ? 2 : 1) !== this.seq.B) return false;
    const { tokens, rest } = this.log.keepPrefixOf(program, this.imageTokens - 2);
    this.seq.truncate(tokens);
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
    this.seq.truncate(0);
  }

  prefillSteps(): Array<(work: WasmWork, captureLogits?: number) => TokenOutputs<WasmOutput> | undefined> {
    const steps: Array<(work: WasmWork, captureLogits?: number) => TokenOutputs<WasmOutput> | undefined> = [];
    const items = this.program.items;
    const S = this.m.config.vq.scales.length;
    items.forEach((it, i) => {
      if (it.kind === 'text') {
        const last = i === items.length - 1;
        steps.push((work, k) => {
          this.text(work, it.cond, it.uncond, it.pos0);
          return last ? this.textSample(work, it.cond.length - 1, 0, k) : undefined;
        });
        return;
      }
      steps.push((work) => {
        work.ops.push(() => this.state.codes.set(it.codes.flat()));
        for (let s = 1; s < S; s++) this.block(work, s, it.p0);
        if (this.m.config.vq.feedBackFinest) this.closingBlock(work, it.p0);
        this.log.image(it.codes, it.p0, this.imageTokens - 2);
        return undefined;
      });
    });
    return steps;
  }

  scheduleText(work: WasmWork, tok: number, n: number, captureLogits?: number): TokenOutputs<WasmOutput> {
    this.text(work, [tok], [tok], this.pos);
    this.pos += 1;
    return this.textSample(work, 0, n, captureLogits);
  }

  tokenId(raw: ArrayBuffer): number {
    const v = this.m.config.vocab;
    const i = new Uint32Array(raw)[0];
    return i < 2 ? v.eos + i : v.textStart + (i - 2);
  }

  word(tok: number): string {
    return this.m.tokenizer.decode([tok]);
  }

  image(k: number): ImageSteps<WasmWork, WasmOutput> {
    this.imageP0 = this.pos + 1;
    const c = this.m.config;
    const p0 = this.imageP0;
    const S = c.vq.scales.length;
    let rgba: Uint32Array = new Uint32Array(0);
    return {
      grids: c.vq.scales,
      imageSize: c.vq.imageSize,
      scheduleScale: (work, s) => {
        if (s === 0) this.text(work, [c.vocab.boi], [c.vocab.boi], this.pos);
        else this.block(work, s, p0);
        work.ops.push(() => this.state.sampleScale(this.last.logits, this.seq.B, this.last.T, s === 0 ? this.last.T - 1 : 0, s, this.smp, imageStep(k, s)));
        if (s === S - 1) this.pos = p0 + imageSpan(c);
        return () => this.state.scaleCodes(s);
      },
      schedulePreview: (work) => {
        work.ops.push(async () => {
          rgba = await this.state.preview();
        });
        return () => rgba;
      },
      logitsOutputs: (_s, rows) => ({ cond: () => this.state.logits.subarray(0, rows * c.vocab.imageCount) }),
      release: () => {},
    };
  }

  afterImageSteps(codes: number[][]): Array<(work: WasmWork) => void> {
    const p0 = this.imageP0;
    const whole = () => this.log.image(codes, p0, this.imageTokens - 2);
    if (!this.m.config.vq.feedBackFinest) {
      whole();
      return [];
    }
    return [
      (work) => {
        this.closingBlock(work, p0);
        whole();
      },
    ];
  }

  /** T tokens per row at the cache's end (causal). */
  private text(work: WasmWork, cond: number[], uncond: number[], pos0: number): void {
    const T = cond.length;
    const ids = this.seq.B === 2 ? [...cond, ...uncond] : cond;
    work.ops.push(async () => {
      this.last = { logits: await this.seq.forward({ ids, scale: -1, positions: textPositions(pos0, T), mask: 'causal' }), T };
    });
    this.cacheLen += T;
    this.log.text(cond, uncond, pos0);
  }

  /** Image block s (its inputs from the codes of scale s − 1). */
  private block(work: WasmWork, s: number, p0: number): void {
    const c = this.m.config;
    const h = c.vq.scales[s];
    work.ops.push(async () => {
      const feats = this.state.blockFeatures(s);
      this.last = { logits: await this.seq.forward({ ids: [], feats, scale: s, positions: imageScalePositions(p0, s, h, h, c.arch.ropeImageRange), mask: 'block' }), T: h * h };
    });
    this.cacheLen += h * h;
  }

  /** The closing block of the whole image in the state's codes (its finest codes). */
  private closingBlock(work: WasmWork, p0: number): void {
    const c = this.m.config;
    const S = c.vq.scales.length;
    const G = c.vq.scales[S - 1];
    work.ops.push(async () => {
      const feats = this.state.closingFeatures();
      this.last = { logits: await this.seq.forward({ ids: [], feats, scale: 0, positions: imageScalePositions(p0, S, G, G, c.arch.ropeImageRange), mask: 'block' }), T: G * G };
    });
    this.cacheLen += G * G;
  }

  /** A draw over [<eos>, <boi>, words…] from the cond row's token `row` of the last forward, at textStep(n). */
  private textSample(work: WasmWork, row: number, n: number, captureLogits?: number): TokenOutputs<WasmOutput> {
    const v = this.m.config.vocab;
    const V = 2 + v.textCount;
    work.ops.push(() => {
      const at = row * v.size;
      const l = new Float32Array(V);
      l[0] = this.last.logits[at + v.eos];
      l[1] = this.last.logits[at + v.eos + 1];
      l.set(this.last.logits.subarray(at + v.textStart, at + v.textStart + v.textCount), 2);
      this.textLogits = l;
      const o = { V, guidance: 0, temperature: this.textTemperature, topK: this.smp.topK, topP: this.smp.topP, seed: this.smp.seed, step: textStep(n) };
      this.token[0] = this.sampler.row(o, l, 0, null, 0, 0);
    });
    return {
      token: () => this.token,
      logits: captureLogits ? () => this.textLogits.subarray(0, Math.min(captureLogits, V)) : undefined,
    };
  }
}
