/**
 * Next-scale text-to-image on the CPU backend, step for step what models/nextflow/image-generator.ts
 * schedules on WebGPU: prefill `<bos> prompt <boi>` (and the `<null>` row for CFG), then one forward per
 * scale on the KV cache, sampling and f̂ in TypeScript (scale-state.ts), the VQ decoder for previews.
 */
import { imageStep } from '../../../kernels/rng';
import { imageScalePositions, textPositions } from '../../../kernels/rope-positions';
import type { ImageSampling, ImageSteps } from '../../../models/family';
import type { WasmOutput, WasmWork } from '../backend';
import type { WasmNextFlowModel } from './model';
import type { NextFlowSequence } from './sequence';
import { WasmScaleState } from './scale-state';

export class WasmNextFlowImageSteps implements ImageSteps<WasmWork, WasmOutput> {
  readonly grids: readonly number[];
  readonly imageSize: number;
  private readonly seq: NextFlowSequence;
  private readonly state: WasmScaleState;
  private readonly rows: number[];
  private readonly T0: number;
  private rgba: Uint32Array = new Uint32Array(0);

  /** `promptIds`: the prompt's word ids, without specials. */
  constructor(
    private m: WasmNextFlowModel,
    promptIds: readonly number[],
    private smp: ImageSampling,
  ) {
    const { vocab, vq } = m.config;
    this.grids = vq.scales;
    this.imageSize = vq.imageSize;
    const B = smp.cfg !== 0 ? 2 : 1;
    this.seq = m.sequence(B);
    this.state = new WasmScaleState(m);
    this.T0 = promptIds.length + 2;
    const promptRow = [vocab.bos, ...promptIds, vocab.boi];
    const nullRow = [vocab.bos, ...promptIds.map(() => vocab.null), vocab.boi];
    this.rows = B === 2 ? [...promptRow, ...nullRow] : promptRow;
  }

  scheduleScale(work: WasmWork, s: number): WasmOutput {
    const { arch: a, vq } = this.m.config;
    const { seq, state, T0 } = this;
    work.ops.push(async () => {
      if (s === 0) {
        const logits = await seq.forward({ ids: this.rows, scale: -1, positions: textPositions(0, T0), mask: 'causal' });
        state.sampleScale(logits, seq.B, T0, T0 - 1, 0, this.smp, imageStep(0, 0));
      } else {
        const p = vq.scales[s];
        const feats = state.blockFeatures(s);
        const logits = await seq.forward({ ids: [], feats, scale: s, positions: imageScalePositions(T0, s, p, p, a.ropeImageRange), mask: 'block' });
        state.sampleScale(logits, seq.B, p * p, 0, s, this.smp, imageStep(0, s));
      }
    });
    return () => state.scaleCodes(s);
  }

  schedulePreview(work: WasmWork): WasmOutput {
    work.ops.push(async () => {
      this.rgba = await this.state.preview();
    });
    return () => this.rgba;
  }

  logitsOutputs(_s: number, rows: number): { cond: WasmOutput; uncond?: WasmOutput } {
    const V = this.m.config.vocab.imageCount;
    const part = (b: number) => () => {
      const all = this.state.logits.length / V / this.seq.B;
      return this.state.logits.subarray(b * all * V, (b * all + rows) * V);
    };
    return { cond: part(0), uncond: this.seq.B === 2 ? part(1) : undefined };
  }

  fhatOutput(): WasmOutput {
    return () => this.state.fhat;
  }

  release(): void {}
}
