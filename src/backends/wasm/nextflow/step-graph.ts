/**
 * The NextFlow-family decoder as one ONNX graph (formats/onnx.ts) for onnxruntime's CPU (wasm) execution
 * provider: one step of T new tokens on top of a KV cache of P tokens, the same math as
 * tools/nextscale_tools/model.py and the WebGPU kernels (pre-norm blocks, RMSNorm, GQA attention with
 * multi-scale 3D RoPE given as cos/sin tables, SwiGLU, the shared head).
 *
 * Inputs:  ids int64 [B,T]; feats f32 [B,T,C] (block features, zero for text); scale int64 [B,T] (−1 text,
 *          0 closing block, s ≥ 1 image block s); cos, sin f32 [B,T,hd]; mask f32 [B,1,T,P+T] (0 or −inf);
 *          past_key_<l>, past_value_<l> f32 [B,KVH,P,hd].
 * Outputs: logits f32 [B,T,V]; present_key_<l>, present_value_<l> f32 [B,KVH,P+T,hd].
 * Weights are initializers (f32, linear layers pre-transposed to [in, out]), read from the model's tensors.
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import { transposed } from '../transpose';
import type { NextFlowArch } from '../../../models/nextflow/config';

/** A weight by its safetensors name, as f32 values in the file's (PyTorch) layout. */
export type WeightReader = (name: string) => { shape: readonly number[]; values: Float32Array };

export function buildNextFlowStepGraph(a: NextFlowArch, vocabSize: number, codeDim: number, weight: WeightReader, prefix = 'lm.'): Uint8Array {
  const g = new GraphBuilder('nextflow_step');
  const { dim: D, heads: H, kvHeads: KV, headDim: hd, layers } = a;
  const F = OnnxType.FLOAT;
  const ids = g.input('ids', OnnxType.INT64, ['B', 'T']);
  const feats = g.input('feats', F, ['B', 'T', codeDim]);
  const scale = g.input('scale', OnnxType.INT64, ['B', 'T']);
  const cos = g.op('Unsqueeze', [g.input('cos', F, ['B', 'T', hd]), g.i64('axis1', [1])]); // [B,1,T,hd]
  const sin = g.op('Unsqueeze', [g.input('sin', F, ['B', 'T', hd]), 'axis1']);
  const mask = g.input('mask', F, ['B', 1, 'T', 'PT']);

  // Integer constants (shapes, axes) by value, each made once.
  const made = new Map<string, string>();
  const c = (values: number[], dims: number[] = [values.length]) => {
    const key = `${dims.join('x')}:${values.join(',')}`;
    if (!made.has(key)) made.set(key, g.i64(`const_${made.size}`, values, dims));
    return made.get(key)!;
  };
  const linear = (x: string, name: string, bias: boolean, out?: string) => {
    const w = weight(`${prefix}${name}.weight`);
    const wT = g.f32(`${name}.wT`, [w.shape[1], w.shape[0]], transposed(w));
    if (!bias) return g.op('MatMul', [x, wT], undefined, out);
    return g.op('Add', [g.op('MatMul', [x, wT]), g.f32(`${name}.b`, [w.shape[0]], weight(`${prefix}${name}.bias`).values)], undefined, out);
  };
  const eps = g.f32('eps', [], [a.rmsEps]);
  const rms = (x: string, name: string) => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, eps])])]);
    return g.op('Mul', [g.op('Mul', [x, inv]), g.f32(`${name}.w`, [D], weight(`${prefix}${name}.weight`).values)]);
  };
  // Token embedding, or img_in(feature) + scale_emb[scale] for image cells (the closing block uses row 0).
  const emb = weight(`${prefix}embed_tokens.weight`);
  const tok = g.op('Gather', [g.f32('embed', [...emb.shape], emb.values), ids], { axis: 0 });
  const se = weight(`${prefix}scale_emb`);
  const zero = c([0], []);
  const img = g.op('Add', [linear(feats, 'img_in', true), g.op('Gather', [g.f32('scale_emb', [...se.shape], se.values), g.op('Max', [scale, zero])], { axis: 0 })]);
  let x = g.op('Where', [g.op('Unsqueeze', [g.op('GreaterOrEqual', [scale, zero]), c([-1])]), img, tok]);

  const heads = (t: string, n: number) => g.op('Transpose', [g.op('Reshape', [t, c([0, 0, n, hd])])], { perm: [0, 2, 1, 3] });
  const half = c([hd / 2, hd / 2]);
  const rope = (t: string) => {
    const [lo, hi] = g.ops('Split', [t, half], [`${t}_lo`, `${t}_hi`], { axis: -1 });
    const rot = g.op('Concat', [g.op('Neg', [hi]), lo], { axis: -1 });
    return g.op('Add', [g.op('Mul', [t, cos]), g.op('Mul', [rot, sin])]);
  };
  const scaleQK = g.f32('inv_sqrt_hd', [], [1 / Math.sqrt(hd)]);
  for (let l = 0; l < layers; l++) {
    const p = `layers.${l}`;
    const n = rms(x, `${p}.attn_norm`);
    const q = rope(heads(linear(n, `${p}.q_proj`, true), H));
    const k = rope(heads(linear(n, `${p}.k_proj`, true), KV));
    const v = heads(linear(n, `${p}.v_proj`, true), KV);
    const K = g.op('Concat', [g.input(`past_key_${l}`, F, ['B', KV, 'P', hd]), k], { axis: 2 }, `present_key_${l}`);
    const V = g.op('Concat', [g.input(`past_value_${l}`, F, ['B', KV, 'P', hd]), v], { axis: 2 }, `present_value_${l}`);
    g.output(K, F, ['B', KV, 'PT', hd]);
    g.output(V, F, ['B', KV, 'PT', hd]);
    // Query head h reads KV head h / (H / KV): repeat each KV head H / KV times, in place.
    const rep = (t: string) => {
      if (H === KV) return t;
      const dims = g.op('Shape', [t]); // [B, KV, L, hd]
      const tail = g.op('Slice', [dims, c([2]), c([4])]);
      const e = g.op('Expand', [g.op('Unsqueeze', [t, c([2])]), g.op('Concat', [c([1, KV, H / KV]), tail], { axis: 0 })]);
      const shape = g.op('Concat', [g.op('Slice', [dims, c([0]), c([1])]), c([H]), tail], { axis: 0 });
      return g.op('Reshape', [e, shape]);
    };
    const att = g.op('Softmax', [g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [rep(K)], { perm: [0, 1, 3, 2] })]), scaleQK]), mask])], { axis: -1 });
    const o = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, rep(V)])], { perm: [0, 2, 1, 3] }), c([0, 0, H * hd])]);
    const h = g.op('Add', [x, linear(o, `${p}.o_proj`, false)]);
    const m = rms(h, `${p}.mlp_norm`);
    const gate = linear(m, `${p}.gate_proj`, false);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), linear(m, `${p}.up_proj`, false)]);
    x = g.op('Add', [h, linear(act, `${p}.down_proj`, false)]);
  }
  linear(rms(x, 'norm'), 'head', false, 'logits');
  g.output('logits', F, ['B', 'T', vocabSize]);
  return g.encode();
}
