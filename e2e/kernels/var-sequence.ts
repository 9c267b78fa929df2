/**
 * VAR's multi-scale residual decode at its real sizes, recorded as one command buffer: for each
 * scale pn in (1,2,3,4,5,6,8,10,13,16): h = E[codes] as [B,32,pn,pn]; bicubic to 16×16 (not for the
 * last scale); f_hat += Phi_k(h) = 0.5·h + 0.5·(conv3x3(h) + b) with k = [0,0,1,1,1,2,2,3,3,3][si];
 * then area(f_hat → next pn) flattened to tokens [B, pn², 32] as the next scale's input.
 * Checked: every next-scale input and the final f_hat, against the CPU references chained in float64.
 */
import type { GpuContext } from '../../src/gpu/device';
import { recordCodebookGather } from '../../src/kernels/codebook_gather';
import { recordPhiResidualUpdate } from '../../src/kernels/conv2d';
import { recordResizeArea } from '../../src/kernels/resize_area';
import { recordResizeBicubic } from '../../src/kernels/resize_bicubic';
import { codebookGatherRef } from '../../src/kernels/reference/codebook_gather';
import { conv2dRef } from '../../src/kernels/reference/conv2d';
import { resizeAreaRef, resizeBicubicRef } from '../../src/kernels/reference/resize';
import { withBuffers } from './gpu-util';
import { expectClose, type Rng } from './harness';
import { SCALES } from './feature-util';

const PHI_INDEX = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3];
const V = 4096;
const C = 32;
const F = 16;
const TOL = { atol: 2e-4, rtol: 2e-4 };

export async function varSequenceCase(ctx: GpuContext, rng: Rng, B = 2): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const L = SCALES.reduce((s, pn) => s + pn * pn, 0);
    const codes = Uint32Array.from({ length: B * L }, () => rng.int(0, V - 1));
    const codebook = rng.floats(V * C);
    const phiW = rng.floats(4 * C * C * 9, 1 / Math.sqrt(C * 9)); // the 4 shared phi convs, back to back
    const phiB = rng.floats(4 * C, 0.1);
    const [Codes, Cb, PW, PB] = [t.upload(codes), t.upload(codebook), t.upload(phiW), t.upload(phiB)];
    const fHat = t.upload(new Float32Array(B * C * F * F)); // zeros
    const h = t.empty(B * C * F * F);
    const h16 = t.empty(B * C * F * F);
    const nextInputs = SCALES.slice(1).map((pn) => t.empty(B * pn * pn * C));

    await t.run((rec) => {
      let begin = 0;
      SCALES.forEach((pn, si) => {
        recordCodebookGather(rec, { codes: Codes, codesOffset: begin, codesStride: L, codebook: Cb, out: h, B, h: pn, w: pn, V, C });
        const last = si === SCALES.length - 1;
        if (!last) recordResizeBicubic(rec, { x: h, out: h16, B, C, inH: pn, inW: pn, outH: F, outW: F });
        const k = PHI_INDEX[si];
        recordPhiResidualUpdate(rec, { h: last ? h : h16, fHat, weight: PW, weightOffset: k * C * C * 9, bias: PB, biasOffset: k * C, B, C, H: F, W: F, ratio: 0.5 });
        if (!last) {
          const next = SCALES[si + 1];
          recordResizeArea(rec, { x: fHat, out: nextInputs[si], B, C, inH: F, inW: F, outH: next, outW: next, layout: 'tokens' });
        }
        begin += pn * pn;
      });
    });

    let f: Float64Array = new Float64Array(B * C * F * F);
    let begin = 0;
    for (let si = 0; si < SCALES.length; si++) {
      const pn = SCALES[si];
      const last = si === SCALES.length - 1;
      let hs: ArrayLike<number> = codebookGatherRef(codes.subarray(begin), codebook, B, pn * pn, V, C, 'nchw', L);
      if (!last) hs = resizeBicubicRef(hs, B, C, pn, pn, F, F);
      const k = PHI_INDEX[si];
      f = conv2dRef({ x: hs, w: phiW.subarray(k * C * C * 9), bias: phiB.subarray(k * C), skip: hs, prior: f, B, Cin: C, Cout: C, H: F, W: F, ksize: 3, alpha: 0.5, beta: 0.5 });
      if (!last) {
        const next = SCALES[si + 1];
        const want = resizeAreaRef(f, B, C, F, F, next, next, 'tokens');
        expectClose(`scale ${si + 1} input (area ${F}→${next}, tokens)`, await t.readF32(nextInputs[si], want.length), want, TOL);
      }
      begin += pn * pn;
    }
    expectClose('final f_hat', await t.readF32(fHat, f.length), f, TOL);
  });
}
