/**
 * VAR's VQ-VAE on the CPU backend as ONNX graphs, the same math as models/var/vae-decoder.ts and the
 * Phi update of models/var/generator.ts:
 *   decoder: f̂ [1,z,g,g] → post_quant_conv → conv_in → mid [Res, Attn, Res] → up levels from the
 *            last (with Attn after each Res) to level 0, each ↑ a nearest ×2 + 3×3 conv → GroupNorm +
 *            SiLU → conv_out → image [1,3,H,W] (clamped and packed to RGBA8 in TypeScript);
 *   phi:     fhat_out = fhat + (1 − r)·h + r·Phi_k(h), Phi_k a 3×3 conv picked by k (int64 [1]).
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import type { VarConfig } from '../../../models/var/config';
import type { WeightReader } from '../nextflow/step-graph';
import { vqGraphLayers } from '../nextflow/vq-graph-layers';

const F = OnnxType.FLOAT;

export function buildVarDecoderGraph(cfg: VarConfig, weight: WeightReader): Uint8Array {
  const v = cfg.vae;
  const g = new GraphBuilder('var_vae_decoder');
  const { conv, silu, norm } = vqGraphLayers(g, { groups: v.gnGroups, groupEps: v.gnEps }, weight, 'vae.');
  const shape3 = g.i64('shape.c_hw', [0, 0, -1]);
  const res = (x: string, p: string, cin: number, cout: number) => {
    const h = conv(silu(norm(conv(silu(norm(x, `${p}.norm1`)), `${p}.conv1`), `${p}.norm2`)), `${p}.conv2`);
    return g.op('Add', [cin !== cout ? conv(x, `${p}.nin_shortcut`) : x, h]);
  };
  /** x + proj_out(softmax(qᵀk / √C) applied to v), q, k, v from one 1×1 conv of GN(x). */
  const attn = (x: string, p: string, C: number) => {
    const qkv = conv(norm(x, `${p}.norm`), `${p}.qkv`);
    const [q, k, vv] = g.ops('Split', [qkv, g.i64(`${p}.split`, [C, C, C])], [`${p}.q`, `${p}.k`, `${p}.v`], { axis: 1 });
    const flat = (t: string) => g.op('Reshape', [t, shape3]); // [1, C, HW]
    const w = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [g.op('Transpose', [flat(q)], { perm: [0, 2, 1] }), flat(k)]), g.f32(`${p}.scale`, [], [1 / Math.sqrt(C)])])], { axis: -1 }); // [1, HWq, HWk]
    const h = g.op('MatMul', [flat(vv), g.op('Transpose', [w], { perm: [0, 2, 1] })]); // [1, C, HWq]
    return g.op('Add', [x, conv(g.op('Reshape', [h, g.op('Shape', [x])]), `${p}.proj_out`)]);
  };
  const nLev = v.chMult.length;
  let cin = v.ch * v.chMult[nLev - 1];
  let x = conv(conv(g.input('fhat', F, [1, v.zChannels, 'G', 'G']), 'post_quant_conv'), 'decoder.conv_in');
  x = res(attn(res(x, 'decoder.mid.block_1', cin, cin), 'decoder.mid.attn_1', cin), 'decoder.mid.block_2', cin, cin);
  const up = g.f32('up.scales', [4], [1, 1, 2, 2]);
  for (let i = nLev - 1; i >= 0; i--) {
    const cout = v.ch * v.chMult[i];
    for (let j = 0; j <= v.numResBlocks; j++) {
      x = res(x, `decoder.up.${i}.block.${j}`, cin, cout);
      if (i === nLev - 1) x = attn(x, `decoder.up.${i}.attn.${j}`, cout);
      cin = cout;
    }
    if (i > 0) x = conv(g.op('Resize', [x, '', up], { mode: 'nearest', nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric' }), `decoder.up.${i}.upsample.conv`);
  }
  g.op('Identity', [conv(silu(norm(x, 'decoder.norm_out')), 'decoder.conv_out')], undefined, 'image');
  g.output('image', F, [1, 3, 'H', 'W']);
  return g.encode();
}

export function buildVarPhiGraph(cfg: VarConfig, weight: WeightReader): Uint8Array {
  const v = cfg.vae;
  const z = v.zChannels;
  const g = new GraphBuilder('var_phi');
  const ws = new Float32Array(v.phiCount * z * z * 9);
  const bs = new Float32Array(v.phiCount * z);
  for (let k = 0; k < v.phiCount; k++) {
    ws.set(weight(`vae.quantize.quant_resi.qresi_ls.${k}.weight`).values, k * z * z * 9);
    bs.set(weight(`vae.quantize.quant_resi.qresi_ls.${k}.bias`).values, k * z);
  }
  const k = g.input('k', OnnxType.INT64, [1]);
  const fhat = g.input('fhat', F, [1, z, 'G', 'G']);
  const h = g.input('h', F, [1, z, 'G', 'G']);
  const sq = g.i64('axis0', [0]);
  const w = g.op('Squeeze', [g.op('Gather', [g.f32('phi.w', [v.phiCount, z, z, 3, 3], ws), k], { axis: 0 }), sq]);
  const b = g.op('Squeeze', [g.op('Gather', [g.f32('phi.b', [v.phiCount, z], bs), k], { axis: 0 }), sq]);
  const phi = g.op('Conv', [h, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const r = v.quantResi;
  const upd = g.op('Add', [g.op('Mul', [h, g.f32('one_minus_r', [], [1 - r])]), g.op('Mul', [phi, g.f32('r', [], [r])])]);
  g.op('Add', [fhat, upd], undefined, 'fhat_out');
  g.output('fhat_out', F, [1, z, 'G', 'G']);
  return g.encode();
}
