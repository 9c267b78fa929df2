/**
 * The NextFlow-family VQ decoder (f̂ → pixels) as one ONNX graph for onnxruntime's CPU (wasm) execution
 * provider, the math of tools/nextscale_tools/vq.py's Decoder: 1×1 in, ResBlocks on the latent grid, then three
 * (1×1 expand, pixel shuffle ×2, 3×3 conv) stages. GroupNorm is InstanceNormalization over [B, G, C/G·H·W]
 * plus the per-channel affine (opset 17 has no GroupNormalization).
 * Input: fhat f32 [B, D, h, w]. Output: image f32 [B, 3, 8h, 8w] in [−1, 1] before clamping.
 */
import { GraphBuilder, OnnxType } from '../../formats/onnx';
import type { NextFlowVq } from '../../models/nextflow/config';
import type { WeightReader } from './nextflow-graph';

export function buildVqDecoderGraph(vq: NextFlowVq, weight: WeightReader, prefix = 'vq.decoder.'): Uint8Array {
  const g = new GraphBuilder('vq_decoder');
  const F = OnnxType.FLOAT;
  const G = vq.groups;
  const t = (name: string) => weight(`${prefix}${name}`);
  const conv = (x: string, name: string) => {
    const w = t(`${name}.weight`);
    const k = w.shape[2];
    return g.op('Conv', [x, g.f32(`${name}.w`, [...w.shape], w.values), g.f32(`${name}.b`, [w.shape[0]], t(`${name}.bias`).values)], { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] });
  };
  const silu = (x: string) => g.op('Mul', [x, g.op('Sigmoid', [x])]);
  const ones = g.f32('gn.ones', [G], new Float32Array(G).fill(1));
  const zeros = g.f32('gn.zeros', [G], new Float32Array(G));
  const groupShape = g.i64('gn.shape', [0, G, -1]);
  const norm = (x: string, name: string) => {
    const gamma = t(`${name}.weight`);
    const C = gamma.shape[0];
    const n = g.op('Reshape', [g.op('InstanceNormalization', [g.op('Reshape', [x, groupShape]), ones, zeros], { epsilon: { float: vq.groupEps } }), g.op('Shape', [x])]);
    return g.op('Add', [g.op('Mul', [n, g.f32(`${name}.g`, [C, 1, 1], gamma.values)]), g.f32(`${name}.beta`, [C, 1, 1], t(`${name}.bias`).values)]);
  };
  let x = conv(g.input('fhat', F, ['B', vq.codeDim, 'h', 'w']), 'conv_in');
  for (let i = 0; i < vq.decBlocks; i++) {
    const h = conv(silu(norm(x, `blocks.${i}.norm1`)), `blocks.${i}.conv1`);
    x = g.op('Add', [x, conv(silu(norm(h, `blocks.${i}.norm2`)), `blocks.${i}.conv2`)]);
  }
  x = silu(norm(x, 'norm_mid'));
  const shuffle = (y: string) => g.op('DepthToSpace', [y], { blocksize: 2, mode: 'CRD' }); // = torch pixel_shuffle
  x = silu(conv(shuffle(conv(x, 'up1')), 'conv1'));
  x = silu(conv(shuffle(conv(x, 'up2')), 'conv2'));
  g.op('Identity', [conv(shuffle(conv(x, 'up3')), 'conv_out')], undefined, 'image');
  g.output('image', F, ['B', 3, 'H', 'W']);
  return g.encode();
}
