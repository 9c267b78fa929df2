/** Plain-TypeScript references of the elementwise kernels, in float64, for tests. */
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
export const silu = (x: number): number => x / (1 + Math.exp(-x));

export function unaryRef(op: 'gelu_tanh' | 'silu', a: Float32Array): Float32Array {
  const f = op === 'gelu_tanh' ? geluTanh : silu;
  return Float32Array.from(a, f);
}

export function binaryRef(op: 'add' | 'mul' | 'swiglu', a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op === 'add' ? a[i] + b[i] : op === 'mul' ? a[i] * b[i] : silu(a[i]) * b[i];
  return out;
}

export function swigluFusedRef(gateUp: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = silu(gateUp[r * 2 * cols + c]) * gateUp[r * 2 * cols + cols + c];
  return out;
}

export const scaleRef = (a: Float32Array, s: number, t: number): Float32Array => Float32Array.from(a, (x) => x * s + t);

/** out[r, c] + gate[gOff + floor(r / rowsPerBatch)·gStride + c] · y[r, c]. */
export function gatedAccRef(out: Float32Array, y: Float32Array, gate: Float32Array, cols: number, rowsPerBatch: number, gOff: number, gStride: number): Float32Array {
  return Float32Array.from(out, (x, i) => x + gate[gOff + Math.floor(Math.floor(i / cols) / rowsPerBatch) * gStride + (i % cols)] * y[i]);
}
