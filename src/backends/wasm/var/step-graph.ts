/**
 * VAR's transformer (VAR_SPEC.md §2) as ONNX graphs for the CPU backend, the same math as
 * models/var/transformer.ts records on WebGPU:
 *   ada graph, once per image:  ada_<l> = ada_lin_l(cond_silu) [B, 6C], head_ada [B, 2C];
 *   step graph, once per scale: x = base + word·(tok·Wᵀ + b) (word 0 at scale 0: base is the class
 *   token), then per block, with (γ1, γ2, s1, s2, b1, b2) = ada_<l>:
 *     x += γ1 · proj(attn(LN(x)·(1+s1) + b1)), q and k l2-normalised, q · exp(min(scale_mul, ln 100)),
 *     x += γ2 · fc2(GELU_tanh(fc1(LN(x)·(1+s2) + b2))),
 *   and logits = head(LN(x)·(1+scale) + shift). The new tokens attend to every cached one, no mask.
 *
 * Step inputs:  tok f32 [B,T,z]; base f32 [B,T,C]; word f32 []; ada_<l> f32 [B,6C]; head_ada f32 [B,2C];
 *               past_key_<l>, past_value_<l> f32 [B,H,P,hd] (keys stored l2-normalised).
 * Step outputs: logits f32 [B,T,V]; present_key_<l>, present_value_<l> f32 [B,H,P+T,hd].
 */
import { GraphBuilder, OnnxType } from '../../../formats/onnx';
import { transposed } from '../transpose';
import type { VarArch } from '../../../models/var/config';
import type { WeightReader } from '../nextflow/step-graph';

const F = OnnxType.FLOAT;

/** x·Wᵀ + b for a PyTorch Linear named `name` (weight [out, in]); `bias` overrides the bias tensor's name. */
function linear(g: GraphBuilder, weight: WeightReader, x: string, name: string, bias = `${name}.bias`): string {
  const w = weight(`${name}.weight`);
  const wT = g.f32(`${name}.wT`, [w.shape[1], w.shape[0]], transposed(w));
  return g.op('Add', [g.op('MatMul', [x, wT]), g.f32(`${bias}.b`, [w.shape[0]], weight(bias).values)]);
}

export function buildVarAdaGraph(a: VarArch, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('var_ada');
  const s = g.input('cond_silu', F, ['B', a.dim]); // SiLU(class embedding), made on the CPU (models/var/generator.ts)
  for (let l = 0; l < a.depth; l++) {
    g.op('Identity', [linear(g, weight, s, `var.blocks.${l}.ada_lin.1`)], undefined, `ada_${l}`);
    g.output(`ada_${l}`, F, ['B', 6 * a.dim]);
  }
  g.op('Identity', [linear(g, weight, s, 'var.head_nm.ada_lin.1')], undefined, 'head_ada');
  g.output('head_ada', F, ['B', 2 * a.dim]);
  return g.encode();
}

export function buildVarStepGraph(a: VarArch, vocab: number, z: number, weight: WeightReader): Uint8Array {
  const g = new GraphBuilder('var_step');
  const { dim: C, heads: H, headDim: hd } = a;
  const made = new Map<string, string>();
  const c = (values: number[], dims: number[] = [values.length]) => {
    const key = `${dims.join('x')}:${values.join(',')}`;
    if (!made.has(key)) made.set(key, g.i64(`const_${made.size}`, values, dims));
    return made.get(key)!;
  };
  const tok = g.input('tok', F, ['B', 'T', z]);
  const base = g.input('base', F, ['B', 'T', C]);
  const word = g.input('word', F, []);
  let x = g.op('Add', [base, g.op('Mul', [word, linear(g, weight, tok, 'var.word_embed')])]);

  const ones = g.f32('ln.ones', [C], new Float32Array(C).fill(1));
  const zeros = g.f32('ln.zeros', [C], new Float32Array(C));
  const one = g.f32('one', [], [1]);
  /** LN(x)·(1 + scale) + shift, scale and shift [B,1,C]. */
  const modLn = (t: string, scale: string, shift: string) =>
    g.op('Add', [g.op('Mul', [g.op('LayerNormalization', [t, ones, zeros], { axis: -1, epsilon: { float: a.lnEps } }), g.op('Add', [scale, one])]), shift]);
  /** The k-th of n C-wide chunks of v [B, n·C], as [B,1,C]. */
  const chunk = (v: string, k: number) => g.op('Unsqueeze', [g.op('Slice', [v, c([k * C]), c([(k + 1) * C]), c([1])]), c([1])]);
  const heads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, c([0, 0, H, hd])])], { perm: [0, 2, 1, 3] });
  const l2 = (t: string) => g.op('Div', [t, g.op('Max', [g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [t, t]), c([-1])], { keepdims: 1 })]), g.f32(`l2eps_${t}`, [], [1e-12])])]);
  const gelu = (t: string) => {
    const inner = g.op('Mul', [g.f32(`gelu_k_${t}`, [], [Math.sqrt(2 / Math.PI)]), g.op('Add', [t, g.op('Mul', [g.f32(`gelu_c_${t}`, [], [0.044715]), g.op('Mul', [t, g.op('Mul', [t, t])])])])]);
    return g.op('Mul', [g.op('Mul', [g.f32(`gelu_h_${t}`, [], [0.5]), t]), g.op('Add', [one, g.op('Tanh', [inner])])]);
  };
  const lnMax = g.f32('ln100', [], [Math.log(100)]);
  for (let l = 0; l < a.depth; l++) {
    const p = `var.blocks.${l}`;
    const ada = g.input(`ada_${l}`, F, ['B', 6 * C]);
    const [g1, g2, s1, s2, b1, b2] = [0, 1, 2, 3, 4, 5].map((k) => chunk(ada, k));
    const qkv = linear(g, weight, modLn(x, s1, b1), `${p}.attn.mat_qkv`, `${p}.attn.qkv_bias`);
    const [q, k, v] = g.ops('Split', [qkv, c([C, C, C])], [`${p}.q`, `${p}.k`, `${p}.v`], { axis: -1 });
    const sm = weight(`${p}.attn.scale_mul_1H11`);
    const qScale = g.op('Exp', [g.op('Min', [g.f32(`${p}.scale_mul`, [...sm.shape], sm.values), lnMax])]); // [1,H,1,1]
    const qn = g.op('Mul', [l2(heads(q)), qScale]);
    const K = g.op('Concat', [g.input(`past_key_${l}`, F, ['B', H, 'P', hd]), l2(heads(k))], { axis: 2 }, `present_key_${l}`);
    const V = g.op('Concat', [g.input(`past_value_${l}`, F, ['B', H, 'P', hd]), heads(v)], { axis: 2 }, `present_value_${l}`);
    g.output(K, F, ['B', H, 'PT', hd]);
    g.output(V, F, ['B', H, 'PT', hd]);
    const att = g.op('Softmax', [g.op('MatMul', [qn, g.op('Transpose', [K], { perm: [0, 1, 3, 2] })])], { axis: -1 });
    const o = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, V])], { perm: [0, 2, 1, 3] }), c([0, 0, C])]);
    x = g.op('Add', [x, g.op('Mul', [g1, linear(g, weight, o, `${p}.attn.proj`)])]);
    const hid = gelu(linear(g, weight, modLn(x, s2, b2), `${p}.ffn.fc1`));
    x = g.op('Add', [x, g.op('Mul', [g2, linear(g, weight, hid, `${p}.ffn.fc2`)])]);
  }
  const head = g.input('head_ada', F, ['B', 2 * C]);
  g.op('Identity', [linear(g, weight, modLn(x, chunk(head, 0), chunk(head, 1)), 'var.head')], undefined, 'logits');
  g.output('logits', F, ['B', 'T', vocab]);
  return g.encode();
}
