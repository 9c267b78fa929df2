/**
 * The NextFlow-family VQ decoder (f̂ → pixels) as one ONNX graph for onnxruntime's CPU (wasm) execution
 * provider, the math of tools/nextscale_tools/vq.py's Decoder: 1×1 in, ResBlocks on the latent grid, then three
 * (1×1 expand, pixel shuffle ×2, 3×3 conv) stages.
 * Input: fhat f32 [B, D, h, w]. Output: image f32 [B, 3, 8h, 8w] in [−1, 1] before clamping.
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import type { NextFlowVq } from '../../../models/nextflow/config';
import type { WeightReader } from './step-graph';
import { vqGraphLayers } from './vq-graph-layers';

export function buildVqDecoderGraph(vq: NextFlowVq, weight: WeightReader, prefix = 'vq.decoder.'): Uint8Array {
  const g = new GraphBuilder('vq_decoder');
  const F = OnnxType.FLOAT;
  const { conv, silu, norm, resBlocks } = vqGraphLayers(g, vq, weight, prefix);
  let x = resBlocks(conv(g.input('fhat', F, ['B', vq.codeDim, 'h', 'w']), 'conv_in'), vq.decBlocks);
  x = silu(norm(x, 'norm_mid'));
  const shuffle = (y: string) => g.op('DepthToSpace', [y], { blocksize: 2, mode: 'CRD' }); // = torch pixel_shuffle
  x = silu(conv(shuffle(conv(x, 'up1')), 'conv1'));
  x = silu(conv(shuffle(conv(x, 'up2')), 'conv2'));
  g.op('Identity', [conv(shuffle(conv(x, 'up3')), 'conv_out')], undefined, 'image');
  g.output('image', F, ['B', 3, 'H', 'W']);
  return g.encode();
}
