/**
 * Infinity's BSQ VAE decoder (bsq_vae/flux_vqgan.py Decoder, tools/reference/infinity.py) as an ONNX graph
 * for the CPU backend: f̂ [1,d,H,W] → conv_in → mid [Res, Res] → up levels from the last to level 0, each
 * num_res_blocks + 1 ResBlocks then (above level 0) a nearest ×2 and a 3×3 conv → GroupNorm + SiLU →
 * conv_out → image [1,3,8H·2,…] (clamped to [−1, 1] and packed to RGBA8 in TypeScript). No attention.
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import type { InfinityVae } from '../../../models/infinity/config';
import type { WeightReader } from '../nextflow/step-graph';
import { vqGraphLayers } from '../nextflow/vq-graph-layers';

export function buildInfinityDecoderGraph(v: InfinityVae, bits: number, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('infinity_vae_decoder');
  const { conv: conv0, silu, norm: norm0 } = vqGraphLayers(g, { groups: v.gnGroups, groupEps: v.gnEps }, weight, 'vae.');
  // The official modules wrap each conv and GroupNorm: x.conv.weight, x.norm.weight.
  const conv = (x: string, name: string) => conv0(x, `${name}.conv`);
  const norm = (x: string, name: string) => norm0(x, `${name}.norm`);
  const res = (x: string, p: string, cin: number, cout: number) => {
    const h = conv(silu(norm(conv(silu(norm(x, `${p}.norm1`)), `${p}.conv1`), `${p}.norm2`)), `${p}.conv2`);
    return g.op('Add', [cin !== cout ? conv(x, `${p}.nin_shortcut`) : x, h]);
  };
  const nLev = v.chMult.length;
  let cin = v.ch * v.chMult[nLev - 1];
  let x = conv(g.input('fhat', OnnxType.FLOAT, [1, bits, 'H', 'W']), 'decoder.conv_in');
  x = res(res(x, 'decoder.mid.block_1', cin, cin), 'decoder.mid.block_2', cin, cin);
  const up = g.f32('up.scales', [4], [1, 1, 2, 2]);
  for (let i = nLev - 1; i >= 0; i--) {
    const cout = v.ch * v.chMult[i];
    for (let j = 0; j <= v.numResBlocks; j++) {
      x = res(x, `decoder.up.${i}.block.${j}`, cin, cout);
      cin = cout;
    }
    if (i > 0) x = conv(g.op('Resize', [x, '', up], { mode: 'nearest', nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric' }), `decoder.up.${i}.upsample.conv`);
  }
  g.op('Identity', [conv(silu(norm(x, 'decoder.norm_out')), 'decoder.conv_out')], undefined, 'image');
  g.output('image', OnnxType.FLOAT, [1, 3, 'OH', 'OW']);
  return g.encode();
}
