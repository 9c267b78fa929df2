/**
 * VAR's class-conditional next-scale loop on the CPU backend, step for step what models/var/generator.ts
 * schedules on WebGPU: both CFG rows (the class, the null class) through the step graph on their KV
 * cache; CFG with t = cfg·si/(S−1) and top-k/top-p sampling in TypeScript (sample.ts); then
 * f̂ += Phi_k(bicubic(E[codes] → g)) (the phi graph; no resize at the last scale), and the next input
 * word_embed(area(f̂ → next grid)) + pos_1LC + lvl_embed (area in TypeScript, the rest in the graph).
 */
import type * as Ort from 'onnxruntime-web';
import { imageStep } from '../../../kernels/rng';
import type { ImageSampling, ImageSteps } from '../../../models/family';
import type { WasmOutput, WasmWork } from '../backend';
import { gatherCodes, imageToRgba, resizeArea, resizeBicubic } from '../cpu-ops';
import { CpuSampler } from '../sample';
import { varClassRows } from '../../../models/var/generator';
import type { WasmVarModel } from './model';

const B = 2;

export class WasmVarImageSteps implements ImageSteps<WasmWork, WasmOutput> {
  readonly grids: readonly number[];
  readonly imageSize: number;
  readonly codes: Uint32Array;
  fhat: Float32Array<ArrayBufferLike>;
  /** The last scale's logits, [B, T, V]. */
  private logits: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private rgba: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private ada: Record<string, Ort.Tensor> | null = null;
  private cache: Record<string, Ort.Tensor>;
  private tok: Float32Array;
  private base: Float32Array;
  private readonly condSilu: Float32Array;
  private readonly sampler = new CpuSampler();

  constructor(
    private m: WasmVarModel,
    classLabel: number,
    private smp: ImageSampling,
  ) {
    const { arch: a, vae, scales } = m.config;
    this.grids = scales;
    this.imageSize = m.config.imageSize;
    const C = a.dim;
    const g = scales[scales.length - 1];
    this.codes = new Uint32Array(m.totalTokens);
    this.fhat = new Float32Array(vae.zChannels * g * g);
    const rows = varClassRows(m, C, classLabel, a.numClasses);
    this.condSilu = rows.condSilu;
    this.base = rows.x0;
    this.tok = new Float32Array(B * vae.zChannels);
    const empty = () => new m.ort.Tensor('float32', new Float32Array(0), [B, a.heads, 0, a.headDim]);
    this.cache = {};
    for (let l = 0; l < a.depth; l++) Object.assign(this.cache, { [`past_key_${l}`]: empty(), [`past_value_${l}`]: empty() });
  }

  scheduleScale(work: WasmWork, si: number): WasmOutput {
    const { vae, scales } = this.m.config;
    const start = this.m.begins[si];
    const p = scales[si];
    work.ops.push(async () => {
      const m = this.m;
      const { arch: a } = m.config;
      const C = a.dim;
      const z = vae.zChannels;
      const T = p * p;
      const S = scales.length;
      const F = (data: Float32Array, dims: number[]) => new m.ort.Tensor('float32', data, dims);
      if (si === 0) {
        const out = await m.s.ada.run({ cond_silu: F(this.condSilu, [B, C]) });
        this.ada = out as Record<string, Ort.Tensor>;
      }
      const out = await m.s.step.run({
        ...this.ada!, ...this.cache,
        tok: F(this.tok, [B, T, z]), base: F(this.base, [B, T, C]), word: F(Float32Array.of(si === 0 ? 0 : 1), []),
      });
      for (let l = 0; l < a.depth; l++) {
        this.cache[`past_key_${l}`] = out[`present_key_${l}`];
        this.cache[`past_value_${l}`] = out[`present_value_${l}`];
      }
      this.logits = out.logits.data as Float32Array;
      // CFG with the scale's guidance (docs/sampling.md), row r drawn at position r of the scale.
      const V = vae.vocabSize;
      const t = this.smp.cfg * (S > 1 ? si / (S - 1) : 0);
      const o = { V, guidance: t, temperature: this.smp.temperature, topK: this.smp.topK, topP: this.smp.topP, seed: this.smp.seed, step: imageStep(0, si) };
      for (let r = 0; r < T; r++) this.codes[start + r] = this.sampler.row(o, this.logits, r * V, this.logits, (T + r) * V, r);
      // f̂ += Phi_k(h), h = E[codes] resized to the final grid.
      const g = scales[S - 1];
      const last = si === S - 1;
      const h = new Float32Array(z * T);
      gatherCodes(this.codes, start, T, m.codebook, V, z, 'nchw', h);
      let hG = h;
      if (!last) {
        hG = new Float32Array(z * g * g);
        resizeBicubic(h, z, p, p, g, g, 'nchw', hG);
      }
      const k = BigInt64Array.of(BigInt(vae.phiIndex[si]));
      const upd = await m.s.phi.run({ k: new m.ort.Tensor('int64', k, [1]), fhat: F(this.fhat, [1, z, g, g]), h: F(hG, [1, z, g, g]) });
      this.fhat = upd.fhat_out.data as Float32Array;
      if (!last) {
        // The next scale's input, the same for both rows: area(f̂) as tokens, plus pos_1LC + lvl_embed.
        const q = scales[si + 1];
        const L = q * q;
        const area = new Float32Array(z * L);
        resizeArea(this.fhat, z, g, g, q, q, area);
        this.tok = new Float32Array(B * L * z);
        for (let i = 0; i < L; i++) for (let c = 0; c < z; c++) this.tok[i * z + c] = this.tok[(L + i) * z + c] = area[c * L + i];
        const rows = m.posLvl.subarray(m.begins[si + 1] * C, (m.begins[si + 1] + L) * C);
        this.base = new Float32Array(B * L * C);
        this.base.set(rows, 0);
        this.base.set(rows, L * C);
      }
    });
    return () => this.codes.subarray(start, start + p * p);
  }

  schedulePreview(work: WasmWork): WasmOutput {
    work.ops.push(async () => {
      const { vae, scales } = this.m.config;
      const g = scales[scales.length - 1];
      const out = await this.m.s.decoder.run({ fhat: new this.m.ort.Tensor('float32', this.fhat, [1, vae.zChannels, g, g]) });
      this.rgba = imageToRgba(out.image.data as Float32Array, out.image.dims[2], out.image.dims[3]);
    });
    return () => this.rgba;
  }

  logitsOutputs(s: number, rows: number): { cond: WasmOutput; uncond: WasmOutput } {
    const V = this.m.config.vae.vocabSize;
    const T = this.grids[s] ** 2;
    return { cond: () => this.logits.subarray(0, rows * V), uncond: () => this.logits.subarray(T * V, (T + rows) * V) };
  }

  fhatOutput(): WasmOutput {
    return () => this.fhat;
  }

  release(): void {
    this.cache = {};
    this.ada = null;
  }
}
