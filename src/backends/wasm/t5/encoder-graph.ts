/**
 * The T5 v1.1 encoder (models/t5, tools/reference/t5.py) as one ONNX graph for the CPU backend:
 *   ids int64 [1, L] → x = shared[ids] → per block: x += o(softmax(q·kᵀ + bias)·v) of RMSNorm(x) (no 1/√d scale),
 *   x += wo(GELU_tanh(wi_0(RMSNorm(x))) · wi_1(RMSNorm(x))) → final RMSNorm → hidden f32 [1, L, d_model].
 * The position bias [1, H, L, L] is the table of block 0 gathered at `buckets` int64 [L, L] (made on the CPU with
 * models/t5/config.ts relativeBucket) and shared by every block. RMSNorm: x / √(mean(x²) + eps) · w.
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import { transposed } from '../transpose';
import type { T5Config } from '../../../models/t5/config';
import type { WeightReader } from '../nextflow/step-graph';

const F = OnnxType.FLOAT;

export function buildT5EncoderGraph(c: T5Config, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('t5_encoder');
  const made = new Map<string, string>();
  const k = (values: number[]) => {
    const key = values.join(',');
    if (!made.has(key)) made.set(key, g.i64(`const_${made.size}`, values, [values.length]));
    return made.get(key)!;
  };
  let n = 0;
  const scalar = (v: number) => g.f32(`scalar_${n++}`, [], [v]);
  const linear = (x: string, name: string) => {
    const w = weight(`${name}.weight`);
    return g.op('MatMul', [x, g.f32(`${name}.wT`, [w.shape[1], w.shape[0]], transposed(w))]);
  };
  const rms = (x: string, name: string) => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const w = weight(`${name}.weight`);
    return g.op('Mul', [g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, scalar(c.eps)])])]), g.f32(`${name}.w`, [w.shape[0]], w.values)]);
  };
  const gelu = (t: string) => {
    const inner = g.op('Mul', [scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [t, g.op('Mul', [scalar(0.044715), g.op('Mul', [t, g.op('Mul', [t, t])])])])]);
    return g.op('Mul', [g.op('Mul', [scalar(0.5), t]), g.op('Add', [scalar(1), g.op('Tanh', [inner])])]);
  };
  const H = c.numHeads;
  const dk = c.dKv;
  const heads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, k([0, 0, H, dk])])], { perm: [0, 2, 1, 3] });
  const ids = g.input('ids', OnnxType.INT64, [1, 'L']);
  const buckets = g.input('buckets', OnnxType.INT64, ['L', 'L']);
  const emb = weight('shared.weight');
  let x = g.op('Gather', [g.f32('shared', [...emb.shape], emb.values), ids], { axis: 0 });
  const table = weight('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'); // [buckets, H]
  const bias = g.op('Unsqueeze', [g.op('Transpose', [g.op('Gather', [g.f32('rel_bias', [...table.shape], table.values), buckets], { axis: 0 })], { perm: [2, 0, 1] }), k([0])]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.block.${l}.layer`;
    const h = rms(x, `${p}.0.layer_norm`);
    const [q, kk, v] = ['q', 'k', 'v'].map((m) => heads(linear(h, `${p}.0.SelfAttention.${m}`)));
    const att = g.op('Softmax', [g.op('Add', [g.op('MatMul', [q, g.op('Transpose', [kk], { perm: [0, 1, 3, 2] })]), bias])], { axis: -1 });
    const o = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, v])], { perm: [0, 2, 1, 3] }), k([0, 0, H * dk])]);
    x = g.op('Add', [x, linear(o, `${p}.0.SelfAttention.o`)]);
    const f = rms(x, `${p}.1.layer_norm`);
    const d = `${p}.1.DenseReluDense`;
    x = g.op('Add', [x, linear(g.op('Mul', [gelu(linear(f, `${d}.wi_0`)), linear(f, `${d}.wi_1`)]), `${d}.wo`)]);
  }
  g.op('Identity', [rms(x, 'encoder.final_layer_norm')], undefined, 'hidden');
  g.output('hidden', F, [1, 'L', c.dModel]);
  return g.encode();
}

/** The bucket of every (query i, memory j) pair of L tokens, row-major [L, L]. */
export function bucketMatrix(L: number, bucketOf: (rel: number) => number): BigInt64Array {
  const out = new BigInt64Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) out[i * L + j] = BigInt(bucketOf(j - i));
  return out;
}
