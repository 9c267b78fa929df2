/**
 * The layers the default model's VQ encoder and decoder share (tools/nextscale_tools/vq.py): 3×3/1×1
 * convs and GroupNorm(+SiLU), bound by name with shape checks, and recorded with f32 weights.
 */
import type { Recorder } from '../../gpu/recorder';
import { recordConv2d } from '../../kernels/conv2d';
import { recordGroupNorm } from '../../kernels/groupnorm';
import type { GpuWeight, WeightSet } from '../weights';
import type { NextFlowVq } from './config';

export interface Conv {
  w: GpuWeight;
  b: GpuWeight;
  cin: number;
  cout: number;
  k: 1 | 3;
}

export interface Norm {
  w: GpuWeight;
  b: GpuWeight;
}

export interface ResBlock {
  n1: Norm;
  c1: Conv;
  n2: Norm;
  c2: Conv;
}

/** Binders for one module prefix, e.g. "vq.encoder.". */
export function vqBinders(ws: WeightSet, prefix: string) {
  const conv = (name: string, cin: number, cout: number, k: 1 | 3): Conv => ({
    w: ws.expectShape(`${prefix}${name}.weight`, [cout, cin, k, k]),
    b: ws.expectShape(`${prefix}${name}.bias`, [cout]),
    cin,
    cout,
    k,
  });
  const norm = (name: string, c: number): Norm => ({ w: ws.expectShape(`${prefix}${name}.weight`, [c]), b: ws.expectShape(`${prefix}${name}.bias`, [c]) });
  const blocks = (n: number, ch: number): ResBlock[] =>
    Array.from({ length: n }, (_, i) => ({
      n1: norm(`blocks.${i}.norm1`, ch),
      c1: conv(`blocks.${i}.conv1`, ch, ch, 3),
      n2: norm(`blocks.${i}.norm2`, ch),
      c2: conv(`blocks.${i}.conv2`, ch, ch, 3),
    }));
  return { conv, norm, blocks };
}

export function recordConv(rec: Recorder, c: Conv, x: GPUBuffer, out: GPUBuffer, H: number, W: number, skip?: GPUBuffer): void {
  recordConv2d(rec, {
    x, out, B: 1, Cin: c.cin, Cout: c.cout, H, W, ksize: c.k,
    weight: c.w.buffer, weightOffset: c.w.offset, dtype: 'f32',
    bias: c.b.buffer, biasOffset: c.b.offset, skip,
  });
}

export function recordNorm(rec: Recorder, vq: NextFlowVq, n: Norm, x: GPUBuffer, out: GPUBuffer, C: number, H: number, W: number, silu: boolean): void {
  recordGroupNorm(rec, { x, out, B: 1, C, H, W, groups: vq.groups, eps: vq.groupEps, weight: n.w.buffer, weightOffset: n.w.offset, bias: n.b.buffer, biasOffset: n.b.offset, silu });
}

/**
 * ResBlocks x + conv2(silu(gn2(conv1(silu(gn1(x)))))) on [ch, H, W], with three ping-pong buffers;
 * returns the buffer that holds the result.
 */
export function recordResBlocks(rec: Recorder, vq: NextFlowVq, blocks: ResBlock[], x: GPUBuffer, bufs: GPUBuffer[], ch: number, H: number, W: number): GPUBuffer {
  const free = (...used: GPUBuffer[]) => bufs.find((q) => !used.includes(q))!;
  for (const blk of blocks) {
    const t1 = free(x);
    const t2 = free(x, t1);
    recordNorm(rec, vq, blk.n1, x, t1, ch, H, W, true);
    recordConv(rec, blk.c1, t1, t2, H, W);
    recordNorm(rec, vq, blk.n2, t2, t1, ch, H, W, true);
    recordConv(rec, blk.c2, t1, t2, H, W, x);
    x = t2;
  }
  return x;
}
