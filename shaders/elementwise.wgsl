// Elementwise ops over flat f32 arrays: out[i] = op(a[i], b[i]).
//
// Bindings: 0 Params (uniform), 1 a (read), 2 b (read; unused by unary ops, bind any buffer),
//           3 out (read_write; may alias nothing).
// Dispatch: ceil(n / WG) workgroups, folded into (x, y) when over 65535; i = (y * nx + x) * WG + lid.
// Ops (define OP): 0 gelu_tanh(a), 1 silu(a), 2 swiglu: silu(a)·b, 3 add: a+b, 4 scale: a·s + t,
//                  5 mul: a·b, 6 gated_acc: out += a[gate index]·b (in place on out; VAR's x += γ·f(x),
//                  γ a per-batch vector of a, at gOff + batch·gStride + column, batch = row / rowsPerBatch).
// swiglu takes a and b from one buffer when GATE_UP=1: row r of width 2·cols holds [a | b].

struct Params {
  n: u32,        // elements of out
  cols: u32,     // row width of out (GATE_UP only), in elements
  nx: u32,       // workgroups along x (for 2D-folded dispatch)
  s: f32,        // scale factor (op 4)
  t: f32,        // shift (op 4)
  rowsPerBatch: u32, // op 6: rows of out per batch entry
  gStride: u32,  // op 6: elements between consecutive batches' gate vectors in a
  gOff: u32,     // op 6: element offset of batch 0's gate vector in a
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn gelu_tanh(x: f32) -> f32 {
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); tanh written out so large |x| never gives NaN.
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  let e = exp(-2.0 * abs(u));
  let th = sign(u) * (1.0 - e) / (1.0 + e);
  return 0.5 * x * (1.0 + th);
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * P.nx + wid.x) * {{WG}}u + lid;
  if (i >= P.n) { return; }
#if OP_GELU
  out[i] = gelu_tanh(a[i]);
#elif OP_SILU
  out[i] = silu(a[i]);
#elif OP_SWIGLU
#if GATE_UP
  let r = i / P.cols;
  let c = i % P.cols;
  out[i] = silu(a[r * 2u * P.cols + c]) * a[r * 2u * P.cols + P.cols + c];
#else
  out[i] = silu(a[i]) * b[i];
#endif
#elif OP_ADD
  out[i] = a[i] + b[i];
#elif OP_SCALE
  out[i] = a[i] * P.s + P.t;
#elif OP_MUL
  out[i] = a[i] * b[i];
#elif OP_GATED_ACC
  let row = i / P.cols;
  let g = a[P.gOff + (row / P.rowsPerBatch) * P.gStride + i % P.cols];
  out[i] = out[i] + g * b[i];
#endif
}
