/**
 * VAR's class-conditional next-scale loop (VAR_SPEC.md §1–3), one submit per scale:
 *   scale 0 input: class_emb[label] + pos_start + lvl_embed[0] + pos_1LC[0] (row 1: the null class);
 *   forward over the scale's tokens on the KV cache, CFG with t = cfg·si/(S−1) and top-k/top-p on the GPU;
 *   f̂ += Phi_k(bicubic(E[codes] → g)) (no resize at the last scale);
 *   the next input: word_embed(area(f̂ → next grid)) + pos_1LC + lvl_embed, the same for both rows.
 * Only the codes (and the preview) are read back.
 */
import type { GpuContext } from '../../gpu/device';
import { Recorder } from '../../gpu/recorder';
import { readBuffer, writeBuffer } from '../../gpu/buffers';
import { imageStep } from '../../kernels/rng';
import { recordCodebookGather } from '../../kernels/codebook_gather';
import { recordResizeBicubic } from '../../kernels/resize_bicubic';
import { recordResizeArea } from '../../kernels/resize_area';
import { recordPhiResidualUpdate } from '../../kernels/conv2d';
import { recordLinear } from '../../kernels/matmul';
import { recordSample } from '../../kernels/sample';
import { throwIfAborted } from '../../api/errors';
import type { VarModel } from './model';
import type { ScaleLoopOutput, ScaleLoopRequest } from '../scale-loop';
import { convWeightOffset } from './vae-decoder';
import { VarWorkspace, recordVarAda, recordVarForward } from './transformer';

export interface VarImageRequest extends ScaleLoopRequest {
  classLabel: number;
}

export interface VarScaleOutput extends ScaleLoopOutput {
  /** [rows, V] raw cond and uncond logits, when captureLogits is set. */
  logits?: { cond: Float32Array; uncond: Float32Array; rows: number };
  /** The final f̂ (last scale, with captureLogits). */
  fhat?: Float32Array;
}

const silu = (x: number) => x / (1 + Math.exp(-x));

export async function* generateVarImage(ctx: GpuContext, m: VarModel, req: VarImageRequest): AsyncGenerator<VarScaleOutput> {
  const { arch: a, vae, scales } = m.config;
  const S = scales.length;
  const C = a.dim;
  const V = vae.vocabSize;
  const z = vae.zChannels;
  const g = scales[S - 1];
  const maxT = Math.max(...scales.map((p) => p * p));
  const ws = new VarWorkspace(ctx, a, maxT, m.totalTokens, V);
  const pool = ctx.pool;
  const codes = pool.acquire(m.totalTokens * 4, 'var-codes');
  const h = pool.acquire(z * g * g * 4, 'var-h');
  const hUp = pool.acquire(z * g * g * 4, 'var-h-up');
  const fhat = pool.acquire(z * g * g * 4, 'var-fhat');
  const tok = pool.acquire(maxT * z * 4, 'var-next-input');
  try {
    // The condition of both rows (class, null class), on the CPU: SiLU(cond) for ada_lin and the scale-0 input.
    const nc = a.numClasses;
    const rows = [req.classLabel, nc];
    const condSilu = new Float32Array(2 * C);
    const x0 = new Float32Array(2 * C);
    rows.forEach((label, b) => {
      for (let c = 0; c < C; c++) {
        const e = m.classEmb[label * C + c];
        condSilu[b * C + c] = silu(e);
        x0[b * C + c] = e + m.firstTokenBias[c];
      }
    });
    writeBuffer(ctx, ws.condSilu, condSilu);
    writeBuffer(ctx, ws.x, x0);
    for (let si = 0; si < S; si++) {
      throwIfAborted(req.signal, 'Image generation');
      const t0 = performance.now();
      const p = scales[si];
      const T = p * p;
      const start = m.begins[si];
      const rec = new Recorder(ctx, `var-scale-${si}`);
      if (si === 0) recordVarAda(rec, m.blocks, ws);
      recordVarForward(rec, m.blocks, ws, T, start, V);
      const guidance = req.cfg * (S > 1 ? si / (S - 1) : 0);
      recordSample(rec, ws.logits, codes, {
        rows: T, V, rowStride: V, uncondOffset: T * V, guidance,
        temperature: req.temperature, topK: req.topK, topP: req.topP, seed: req.seed, step: imageStep(0, si), outOffset: start,
      });
      // f̂ += Phi_k(h), h = E[codes] resized to the final grid.
      recordCodebookGather(rec, { codes, codesOffset: start, codebook: m.codebook.buffer, codebookOffset: m.codebook.offset, out: h, B: 1, h: p, w: p, V, C: z, layout: 'nchw' });
      if (si === 0) rec.clear(fhat, 0, z * g * g * 4);
      const last = si === S - 1;
      if (!last) recordResizeBicubic(rec, { x: h, out: hUp, B: 1, C: z, inH: p, inW: p, outH: g, outW: g, layout: 'nchw' });
      const phi = m.phi[vae.phiIndex[si]];
      recordPhiResidualUpdate(rec, {
        h: last ? h : hUp, fHat: fhat, weight: phi.w.buffer, weightOffset: convWeightOffset(phi.w), dtype: phi.w.dtype,
        bias: phi.b.buffer, biasOffset: phi.b.offset, biasDtype: 'f32', B: 1, C: z, H: g, W: g, ratio: vae.quantResi,
      });
      if (!last) {
        // The next scale's input for both rows: word_embed(area(f̂)) + pos_1LC + lvl_embed.
        const q = scales[si + 1];
        const L = q * q;
        recordResizeArea(rec, { x: fhat, out: tok, B: 1, C: z, inH: g, inW: g, outH: q, outW: q, layout: 'tokens' });
        const we = m.wordEmbed;
        for (let b = 0; b < 2; b++) {
          recordLinear(rec, {
            M: L, K: z, N: C, x: { buffer: tok },
            weights: { dtype: we.w.dtype, w: { buffer: we.w.buffer, offset: we.w.offset }, bias: { buffer: we.b.buffer, offset: we.b.offset } },
            y: { buffer: ws.x, offset: b * L * C }, residual: { buffer: m.posLvl, offset: m.begins[si + 1] * C },
          });
        }
      }
      rec.submit();
      const codesOut = new Uint32Array(await readBuffer(ctx, codes, start * 4, T * 4));
      let logits: VarScaleOutput['logits'];
      let fhatOut: Float32Array | undefined;
      if (req.captureLogits) {
        const k = Math.min(req.captureLogits, T);
        logits = {
          cond: new Float32Array(await readBuffer(ctx, ws.logits, 0, k * V * 4)),
          uncond: new Float32Array(await readBuffer(ctx, ws.logits, T * V * 4, k * V * 4)),
          rows: k,
        };
        if (last) fhatOut = new Float32Array(await readBuffer(ctx, fhat, 0, z * g * g * 4));
      }
      const forwardMs = performance.now() - t0;
      let rgba: Uint8ClampedArray | undefined;
      let previewMs = 0;
      if (req.previews || last) {
        const t1 = performance.now();
        rgba = await m.decoder.decodeToRgba(fhat);
        previewMs = performance.now() - t1;
      }
      yield { scale: si, grid: p, codes: Array.from(codesOut), rgba, forwardMs, previewMs, logits, fhat: fhatOut };
    }
  } finally {
    ws.release();
    for (const b of [codes, h, hUp, fhat, tok]) pool.release(b);
  }
}
