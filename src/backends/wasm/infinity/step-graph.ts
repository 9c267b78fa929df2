/**
 * Infinity's transformer (models/infinity, tools/reference/infinity.py) as ONNX graphs for the CPU backend.
 *
 * text graph, once per image: feats [B,Lt,Ct] (the prompt's features; with CFG a second row of the learned
 *   negative) → RMSNorm → cond = attention pool (learned queries, head dim C/P, scale 1/√(C/P)) [B,C];
 *   gss = shared_ada_lin(SiLU(cond)) [B,6C]; head_ada = head_nm.ada_lin(SiLU(cond)) [B,2C]; the text memory
 *   Linear→GELU_tanh→Linear, and from it each block's cross-attention keys/values ca_k_<l>, ca_v_<l>
 *   [B,H,Lt,hd], computed once instead of at every scale.
 *
 * step graph, once per scale: x = base + word·word_embed(tok) (word 0 at scale 0, where base is the start
 *   token), then per block, with (γ1, γ2, s1, s2, b1, b2) = ada_gss_l + gss:
 *     x += γ1 · proj(attn(LN(x)·(1+s1) + b1)): q, k l2-normalised, q · exp(min(scale_mul, ln 100)), both
 *       rotated by the 2D RoPE of the tokens (cos, sin [T, hd/2] of interleaved pairs); keys cached after
 *       the rotation; scale 1; the new tokens see every cached one;
 *     x += proj(cross-attn(LN_affine(x), text memory)), scale 1/√hd;
 *     x += γ2 · fc2(GELU_tanh(fc1(LN(x)·(1+s2) + b2)));
 *   logits = head(LN(x)·(1+scale) + shift) [B,T,2d], two logits per bit.
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import { transposed } from '../transpose';
import type { InfinityArch } from '../../../models/infinity/config';
import type { WeightReader } from '../nextflow/step-graph';

const F = OnnxType.FLOAT;
const P = 'infinity.';

/** Shared helpers of both graphs, bound to one builder. */
function layers(g: GraphBuilder, weight: WeightReader) {
  const made = new Map<string, string>();
  const c = (values: number[], dims: number[] = [values.length]) => {
    const key = `${dims.join('x')}:${values.join(',')}`;
    if (!made.has(key)) made.set(key, g.i64(`const_${made.size}`, values, dims));
    return made.get(key)!;
  };
  let n = 0;
  const scalar = (v: number) => g.f32(`scalar_${n++}`, [], [v]);
  /** x·Wᵀ + b of a PyTorch Linear (weight [out, in]); `bias` names another bias tensor, or null for none. */
  const linear = (x: string, name: string, bias: string | null = `${name}.bias`) => {
    const w = weight(`${P}${name}.weight`);
    const y = g.op('MatMul', [x, g.f32(`${name}.wT`, [w.shape[1], w.shape[0]], transposed(w))]);
    return bias === null ? y : g.op('Add', [y, g.f32(`${bias}.b`, [w.shape[0]], weight(`${P}${bias}`).values)]);
  };
  const gelu = (t: string) => {
    const inner = g.op('Mul', [scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [t, g.op('Mul', [scalar(0.044715), g.op('Mul', [t, g.op('Mul', [t, t])])])])]);
    return g.op('Mul', [g.op('Mul', [scalar(0.5), t]), g.op('Add', [scalar(1), g.op('Tanh', [inner])])]);
  };
  const silu = (t: string) => g.op('Mul', [t, g.op('Sigmoid', [t])]);
  /** [B, L, heads·hd] → [B, heads, L, hd]. */
  const heads = (t: string, h: number, hd: number) => g.op('Transpose', [g.op('Reshape', [t, c([0, 0, h, hd])])], { perm: [0, 2, 1, 3] });
  /** [B, heads, L, hd] → [B, L, heads·hd]. */
  const merge = (t: string, width: number) => g.op('Reshape', [g.op('Transpose', [t], { perm: [0, 2, 1, 3] }), c([0, 0, width])]);
  /** K and V of a cross-attention's memory: mem·W_kvᵀ + (0, v_bias), as [B, heads, L, hd] each. */
  const memKv = (mem: string, name: string, width: number, h: number) => {
    const w = weight(`${P}${name}.mat_kv.weight`);
    const bias = new Float32Array(2 * width);
    bias.set(weight(`${P}${name}.v_bias`).values, width);
    const kv = g.op('Add', [g.op('MatMul', [mem, g.f32(`${name}.mat_kv.wT`, [w.shape[1], w.shape[0]], transposed(w))]), g.f32(`${name}.kv_bias`, [2 * width], bias)]);
    const [k, v] = g.ops('Split', [kv, c([width, width])], [`${name}.k`, `${name}.v`], { axis: -1 });
    return [heads(k, h, width / h), heads(v, h, width / h)];
  };
  return { c, scalar, linear, gelu, silu, heads, merge, memKv };
}

export function buildInfinityTextGraph(a: InfinityArch, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('infinity_text');
  const { c, scalar, linear, gelu, silu, merge, memKv } = layers(g, weight);
  const C = a.dim;
  const feats = g.input('feats', F, ['B', 'Lt', a.textDim]);
  // RMSNorm: x / √(mean(x²) + eps) · w
  const ms = g.op('ReduceMean', [g.op('Mul', [feats, feats])], { axes: [-1], keepdims: 1 }); // opset 17: axes is an attribute
  const kv = g.op('Mul', [g.op('Div', [feats, g.op('Sqrt', [g.op('Add', [ms, scalar(a.normEps)])])]), g.f32('text_norm.w', [a.textDim], weight(`${P}text_norm.weight`).values)]);
  // Attention pool: learned queries [1, P, 1, hp] over the normalised features.
  const Pn = a.poolHeads;
  const hp = C / Pn;
  const [pk, pv] = memKv(kv, 'text_proj_for_sos.ca', C, Pn);
  const q = g.f32('pool.q', [1, Pn, 1, hp], weight(`${P}text_proj_for_sos.ca.mat_q`).values);
  const att = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [pk], { perm: [0, 1, 3, 2] })]), scalar(1 / Math.sqrt(hp))])], { axis: -1 });
  const pooled = g.op('Reshape', [merge(g.op('MatMul', [att, pv]), C), c([0, C])]);
  const cond = linear(pooled, 'text_proj_for_sos.ca.proj');
  const s = silu(cond);
  g.op('Identity', [linear(s, 'shared_ada_lin.1')], undefined, 'gss');
  g.output('gss', F, ['B', 6 * C]);
  g.op('Identity', [linear(s, 'head_nm.ada_lin.1')], undefined, 'head_ada');
  g.output('head_ada', F, ['B', 2 * C]);
  g.op('Identity', [cond], undefined, 'cond');
  g.output('cond', F, ['B', C]);
  const mem = linear(gelu(linear(kv, 'text_proj_for_ca.0')), 'text_proj_for_ca.2');
  for (let l = 0; l < a.depth; l++) {
    const [k, v] = memKv(mem, `blocks.${l}.ca`, C, a.heads);
    g.op('Identity', [k], undefined, `ca_k_${l}`);
    g.op('Identity', [v], undefined, `ca_v_${l}`);
    g.output(`ca_k_${l}`, F, ['B', a.heads, 'Lt', a.headDim]);
    g.output(`ca_v_${l}`, F, ['B', a.heads, 'Lt', a.headDim]);
  }
  return g.encode();
}

export function buildInfinityStepGraph(a: InfinityArch, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('infinity_step');
  const { c, scalar, linear, gelu, heads, merge } = layers(g, weight);
  const { dim: C, heads: H, headDim: hd } = a;
  const tok = g.input('tok', F, ['B', 'T', a.bits]);
  const base = g.input('base', F, ['B', 'T', C]);
  const word = g.input('word', F, []);
  const cos = g.input('cos', F, ['T', hd / 2]);
  const sin = g.input('sin', F, ['T', hd / 2]);
  const gss = g.input('gss', F, ['B', 6 * C]);
  let x = g.op('Add', [base, g.op('Mul', [word, linear(tok, 'word_embed')])]);

  const ones = g.f32('ln.ones', [C], new Float32Array(C).fill(1));
  const zeros = g.f32('ln.zeros', [C], new Float32Array(C));
  const one = scalar(1);
  const ln = (t: string) => g.op('LayerNormalization', [t, ones, zeros], { axis: -1, epsilon: { float: a.normEps } });
  const modLn = (t: string, scale: string, shift: string) => g.op('Add', [g.op('Mul', [ln(t), g.op('Add', [scale, one])]), shift]);
  /** The k-th of n C-wide chunks of v [B, n·C], as [B,1,C]. */
  const chunk = (v: string, k: number) => g.op('Unsqueeze', [g.op('Slice', [v, c([k * C]), c([(k + 1) * C]), c([1])]), c([1])]);
  const l2 = (t: string) => g.op('Div', [t, g.op('Max', [g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [t, t]), c([-1])], { keepdims: 1 })]), scalar(1e-12)])]);
  /** Rotate interleaved pairs of t [B,H,T,hd] by the tokens' angles. */
  const rope = (t: string) => {
    const pairs = g.op('Reshape', [t, c([0, 0, 0, hd / 2, 2])]);
    const [ea, eb] = g.ops('Split', [pairs, c([1, 1])], [`${t}.ra`, `${t}.rb`], { axis: -1 });
    const a0 = g.op('Squeeze', [ea, c([-1])]);
    const b0 = g.op('Squeeze', [eb, c([-1])]);
    const ra = g.op('Sub', [g.op('Mul', [cos, a0]), g.op('Mul', [sin, b0])]);
    const rb = g.op('Add', [g.op('Mul', [sin, a0]), g.op('Mul', [cos, b0])]);
    const both = g.op('Concat', [g.op('Unsqueeze', [ra, c([-1])]), g.op('Unsqueeze', [rb, c([-1])])], { axis: -1 });
    return g.op('Reshape', [both, c([0, 0, 0, hd])]);
  };
  const lnMax = scalar(Math.log(100));
  const caScale = scalar(1 / Math.sqrt(hd));
  for (let l = 0; l < a.depth; l++) {
    const p = `blocks.${l}`;
    const ada = g.op('Add', [gss, g.f32(`${p}.ada_gss`, [6 * C], weight(`${P}${p}.ada_gss`).values)]);
    const [g1, g2, s1, s2, b1, b2] = [0, 1, 2, 3, 4, 5].map((k) => chunk(ada, k));
    const qkv = linear(modLn(x, s1, b1), `${p}.sa.mat_qkv`, `${p}.sa.qkv_bias`);
    const [q, k, v] = g.ops('Split', [qkv, c([C, C, C])], [`${p}.q`, `${p}.k`, `${p}.v`], { axis: -1 });
    const sm = weight(`${P}${p}.sa.scale_mul_1H11`);
    const qScale = g.op('Exp', [g.op('Min', [g.f32(`${p}.scale_mul`, [1, H, 1, 1], sm.values), lnMax])]);
    const qr = rope(g.op('Mul', [l2(heads(q, H, hd)), qScale]));
    const K = g.op('Concat', [g.input(`past_key_${l}`, F, ['B', H, 'P', hd]), rope(l2(heads(k, H, hd)))], { axis: 2 }, `present_key_${l}`);
    const V = g.op('Concat', [g.input(`past_value_${l}`, F, ['B', H, 'P', hd]), heads(v, H, hd)], { axis: 2 }, `present_value_${l}`);
    g.output(K, F, ['B', H, 'PT', hd]);
    g.output(V, F, ['B', H, 'PT', hd]);
    const att = g.op('Softmax', [g.op('MatMul', [qr, g.op('Transpose', [K], { perm: [0, 1, 3, 2] })])], { axis: -1 });
    x = g.op('Add', [x, g.op('Mul', [g1, linear(merge(g.op('MatMul', [att, V]), C), `${p}.sa.proj`)])]);
    // Cross-attention over the text memory (its keys and values come from the text graph).
    const caIn = g.op('LayerNormalization', [x, g.f32(`${p}.ca_norm.w`, [C], weight(`${P}${p}.ca_norm.weight`).values), g.f32(`${p}.ca_norm.b`, [C], weight(`${P}${p}.ca_norm.bias`).values)], { axis: -1, epsilon: { float: a.normEps } });
    const cq = heads(linear(caIn, `${p}.ca.mat_q`), H, hd);
    const caK = g.input(`ca_k_${l}`, F, ['B', H, 'Lt', hd]);
    const caV = g.input(`ca_v_${l}`, F, ['B', H, 'Lt', hd]);
    const catt = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [cq, g.op('Transpose', [caK], { perm: [0, 1, 3, 2] })]), caScale])], { axis: -1 });
    x = g.op('Add', [x, linear(merge(g.op('MatMul', [catt, caV]), C), `${p}.ca.proj`)]);
    const hid = gelu(linear(modLn(x, s2, b2), `${p}.ffn.fc1`));
    x = g.op('Add', [x, g.op('Mul', [g2, linear(hid, `${p}.ffn.fc2`)])]);
  }
  const head = g.input('head_ada', F, ['B', 2 * C]);
  g.op('Identity', [linear(modLn(x, chunk(head, 0), chunk(head, 1)), 'head')], undefined, 'logits');
  g.output('logits', F, ['B', 'T', 2 * a.bits]);
  return g.encode();
}
