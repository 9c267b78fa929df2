/**
 * The layers the default model's VQ encoder and decoder graphs share (tools/nextscale_tools/vq.py), and
 * VAR's VAE decoder (var/vae-graph.ts) with them, as ONNX nodes: 3×3/1×1 convs with their f32 weights, GroupNorm as InstanceNormalization over
 * [B, G, C/G·H·W] plus the per-channel affine (opset 17 has no GroupNormalization), SiLU, ResBlocks.
 */
import { GraphBuilder } from '../../../formats/onnx';
import type { WeightReader } from './step-graph';

/** `gn`: the GroupNorm's groups and epsilon (NextFlowVq has both). */
export function vqGraphLayers(g: GraphBuilder, gn: { groups: number; groupEps: number }, weight: WeightReader, prefix: string) {
  const t = (name: string) => weight(`${prefix}${name}`);
  const conv = (x: string, name: string) => {
    const w = t(`${name}.weight`);
    const k = w.shape[2];
    return g.op('Conv', [x, g.f32(`${prefix}${name}.w`, [...w.shape], w.values), g.f32(`${prefix}${name}.b`, [w.shape[0]], t(`${name}.bias`).values)], { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] });
  };
  const silu = (x: string) => g.op('Mul', [x, g.op('Sigmoid', [x])]);
  const G = gn.groups;
  const ones = g.f32(`${prefix}gn.ones`, [G], new Float32Array(G).fill(1));
  const zeros = g.f32(`${prefix}gn.zeros`, [G], new Float32Array(G));
  const groupShape = g.i64(`${prefix}gn.shape`, [0, G, -1]);
  const norm = (x: string, name: string) => {
    const gamma = t(`${name}.weight`);
    const C = gamma.shape[0];
    const n = g.op('Reshape', [g.op('InstanceNormalization', [g.op('Reshape', [x, groupShape]), ones, zeros], { epsilon: { float: gn.groupEps } }), g.op('Shape', [x])]);
    return g.op('Add', [g.op('Mul', [n, g.f32(`${prefix}${name}.g`, [C, 1, 1], gamma.values)]), g.f32(`${prefix}${name}.beta`, [C, 1, 1], t(`${name}.bias`).values)]);
  };
  /** x + conv2(silu(gn2(conv1(silu(gn1(x)))))), n times. */
  const resBlocks = (x: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const h = conv(silu(norm(x, `blocks.${i}.norm1`)), `blocks.${i}.conv1`);
      x = g.op('Add', [x, conv(silu(norm(h, `blocks.${i}.norm2`)), `blocks.${i}.conv2`)]);
    }
    return x;
  };
  return { conv, silu, norm, resBlocks };
}
