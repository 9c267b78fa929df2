/**
 * The NextFlow-family VQ encoder (pixels → z, before quantization) as one ONNX graph for onnxruntime's
 * CPU (wasm) execution provider, the math of tools/nextscale_tools/vq.py's Encoder (and of
 * models/nextflow/vq-encoder.ts on WebGPU): three (3×3 conv, SiLU, 2×2 average pool) stages, a 3×3 conv to
 * the latent width, ResBlocks, GroupNorm+SiLU, 1×1 conv to the code dim.
 * Input: image f32 [B, 3, S, S] in [−1, 1]. Output: z f32 [B, D, S/8, S/8].
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import type { NextFlowVq } from '../../../models/nextflow/config';
import type { WeightReader } from './step-graph';
import { vqGraphLayers } from './vq-graph-layers';

export function buildVqEncoderGraph(vq: NextFlowVq, weight: WeightReader, prefix = 'vq.encoder.'): Uint8Array {
  const g = new GraphBuilder('vq_encoder');
  const F = OnnxType.FLOAT;
  const { conv, silu, norm, resBlocks } = vqGraphLayers(g, vq, weight, prefix);
  let x = g.input('image', F, ['B', 3, 'H', 'W']);
  for (const name of ['conv_in', 'conv_d1', 'conv_d2']) x = g.op('AveragePool', [silu(conv(x, name))], { kernel_shape: [2, 2], strides: [2, 2] });
  x = resBlocks(conv(x, 'conv_d3'), vq.encBlocks);
  g.op('Identity', [conv(silu(norm(x, 'norm_out')), 'conv_out')], undefined, 'z');
  g.output('z', F, ['B', vq.codeDim, 'h', 'w']);
  return g.encode();
}
