/**
 * Next-scale image generation for the NextFlow family, read like the paper:
 *   prefill `<bos> prompt <boi>` (and the unconditional row `<bos> <null>… <boi>` for CFG);
 *   for each scale s: one forward over the scale's h·w tokens on top of the KV cache, CFG + top-k/p
 *   sampling on the GPU, the codes stay on the GPU and become the next scale's input
 *   (NextFlow's residual feature: the codebook map of scale s-1, bicubic-resized to scale s);
 *   f̂ += bicubic(E[codes_s]) and the partial image is decoded for the preview.
 * Only the codes and the preview are read back, after the scale's single submit.
 */
import type { GpuContext } from '../../gpu/device';
import { Recorder } from '../../gpu/recorder';
import { readBuffer, writeBuffer } from '../../gpu/buffers';
import { imageStep } from '../../kernels/rng';
import { textPositions, imageScalePositions } from '../../kernels/rope-positions';
import { throwIfAborted } from '../../api/errors';
import type { NextFlowModel } from './model';
import type { ScaleLoopOutput, ScaleLoopRequest } from '../scale-loop';
import { scaleLayout } from './config';
import { Workspace, recordEmbedTokens, recordHead, recordLayers } from './transformer';
import { ScaleBuffers, recordBlockInput, recordSampleScale } from './scale-step';

export interface NextFlowImageRequest extends ScaleLoopRequest {
  /** Prompt word ids (without specials). */
  promptIds: number[];
}

export interface NextFlowScaleOutput extends ScaleLoopOutput {
  /** [cond rows…, uncond rows…] × image codes, when captureLogits is set. */
  logits?: { cond: Float32Array; uncond?: Float32Array; rows: number };
}

export async function* generateNextFlowImage(ctx: GpuContext, m: NextFlowModel, req: NextFlowImageRequest): AsyncGenerator<NextFlowScaleOutput> {
  const { arch: a, vocab, vq } = m.config;
  const scales = vq.scales;
  const S = scales.length;
  const layout = scaleLayout(scales);
  const B = req.cfg !== 0 ? 2 : 1;
  const n = req.promptIds.length;
  const T0 = n + 2;
  const imageTokensInCache = layout.total - layout.tokens[0];
  const maxT = Math.max(T0, ...layout.tokens);
  const V = vocab.imageCount;
  const ws = new Workspace(ctx, a, B, B * maxT, T0 + imageTokensInCache);
  const sb = new ScaleBuffers(ctx, m, B, maxT);
  const ids = ctx.pool.acquire(B * T0 * 4, 'prompt-ids');
  const { codes, logits } = sb;
  const smp = { cfg: req.cfg, topK: req.topK, topP: req.topP, temperature: req.temperature, seed: req.seed };
  try {
    const promptRow = [vocab.bos, ...req.promptIds, vocab.boi];
    const nullRow = [vocab.bos, ...req.promptIds.map(() => vocab.null), vocab.boi];
    writeBuffer(ctx, ids, new Uint32Array(B === 2 ? [...promptRow, ...nullRow] : promptRow));
    writeBuffer(ctx, ws.positions, textPositions(0, T0));
    const p0 = T0; // first position after <boi>
    let cacheLen = 0;
    for (let s = 0; s < S; s++) {
      throwIfAborted(req.signal, 'Image generation');
      const t0 = performance.now();
      const p = scales[s];
      const L = p * p;
      const rec = new Recorder(ctx, `scale-${s}`);
      let T: number;
      if (s === 0) {
        T = T0;
        recordEmbedTokens(rec, m.transformer, a, ws, ids, B * T0, vocab.size);
        recordLayers(rec, m.transformer, a, ws, { T, start: 0, mask: 'causal' });
        recordHead(rec, m.transformer, a, ws, logits, { T: 1, rowOfBatch: (b) => b * T0 + T0 - 1, col0: vocab.imageStart, ncols: V });
      } else {
        T = L;
        recordBlockInput(rec, m, ws, sb, s);
        recordLayers(rec, m.transformer, a, ws, { T, start: cacheLen, mask: 'block' });
        recordHead(rec, m.transformer, a, ws, logits, { T: L, rowOfBatch: (b) => b * L, col0: vocab.imageStart, ncols: V });
      }
      const rows = s === 0 ? 1 : L;
      recordSampleScale(rec, m, sb, s, B, smp, imageStep(0, s));
      rec.submit();
      cacheLen += s === 0 ? T0 : L;

      const codesOut = new Uint32Array(await readBuffer(ctx, codes, layout.offsets[s] * 4, L * 4));
      let captured: NextFlowScaleOutput['logits'];
      if (req.captureLogits) {
        const k = Math.min(req.captureLogits, rows);
        const cond = new Float32Array(await readBuffer(ctx, logits, 0, k * V * 4));
        const uncond = B === 2 ? new Float32Array(await readBuffer(ctx, logits, rows * V * 4, k * V * 4)) : undefined;
        captured = { cond, uncond, rows: k };
      }
      const forwardMs = performance.now() - t0;
      // Next scale's positions: written now, ordered before the next submit by the queue.
      if (s + 1 < S) writeBuffer(ctx, ws.positions, imageScalePositions(p0, s + 1, scales[s + 1], scales[s + 1], a.ropeImageRange));
      let rgba: Uint8ClampedArray | undefined;
      let previewMs = 0;
      if (req.previews || s === S - 1) {
        const t1 = performance.now();
        rgba = await m.decoder.decodeToRgba(sb.fhat);
        previewMs = performance.now() - t1;
      }
      yield { scale: s, grid: p, codes: Array.from(codesOut), rgba, forwardMs, previewMs, logits: captured };
    }
  } finally {
    ws.release();
    sb.release();
    ctx.pool.release(ids);
  }
}
