/**
 * onnxruntime-web's WebGPU MatMul as a benchmark baseline. The one-node ONNX model is written
 * here with a minimal protobuf encoder (only the ModelProto fields a MatMul graph needs), so no
 * model file is shipped: A [M,K] is a graph input, B [K,N] an initializer, Y [M,N] stays on the
 * GPU (preferredOutputLocation) so no readback is timed.
 */
type Ort = typeof import('onnxruntime-web');

/** Protobuf wire format: varints (wire type 0) and length-delimited fields (wire type 2). */
class Proto {
  private parts: Uint8Array[] = [];
  private varint(v: number): void {
    const b: number[] = [];
    while (v >= 0x80) {
      b.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    b.push(v);
    this.parts.push(Uint8Array.from(b));
  }
  int(field: number, v: number): this {
    this.varint(field * 8);
    this.varint(v);
    return this;
  }
  bytes(field: number, data: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(data.byteLength);
    this.parts.push(data);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

function valueInfo(name: string, dims: number[]): Proto {
  const shape = new Proto();
  for (const d of dims) shape.msg(1, new Proto().int(1, d)); // TensorShapeProto.dim { dim_value }
  const tensorType = new Proto().int(1, FLOAT).msg(2, shape); // TypeProto.Tensor { elem_type, shape }
  return new Proto().str(1, name).msg(2, new Proto().msg(1, tensorType)); // ValueInfoProto { name, type }
}

/** ModelProto bytes for Y = MatMul(A, B) with B [K,N] baked in as an initializer. */
export function matmulModel(M: number, K: number, N: number, b_KN: Float32Array): Uint8Array {
  const node = new Proto().str(1, 'A').str(1, 'B').str(2, 'Y').str(3, 'matmul').str(4, 'MatMul');
  const init = new Proto().int(1, K).int(1, N).int(2, FLOAT).str(8, 'B');
  init.bytes(9, new Uint8Array(b_KN.buffer, b_KN.byteOffset, b_KN.byteLength)); // raw_data, little-endian
  const graph = new Proto().msg(1, node).str(2, 'g').msg(5, init).msg(11, valueInfo('A', [M, K])).msg(12, valueInfo('Y', [M, N]));
  const opset = new Proto().str(1, '').int(2, 17);
  return new Proto().int(1, 8).str(2, 'nextscale-bench').msg(7, graph).msg(8, opset).finish(); // ir_version 8
}

let ortPromise: Promise<Ort> | null = null;

/** onnxruntime-web's WebGPU build, loaded from node_modules as served by Vite, wasm beside it. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= (async () => {
    const dist = '/node_modules/onnxruntime-web/dist/';
    const ort = (await import(/* @vite-ignore */ `${dist}ort.webgpu.min.mjs`)) as Ort;
    ort.env.wasm.wasmPaths = dist;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortPromise;
}

/** A session computing A·B on ORT's WebGPU EP; run(iters) runs it `iters` times and waits for the GPU. */
export async function ortMatmul(M: number, K: number, N: number, a_MK: Float32Array, b_KN: Float32Array) {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(matmulModel(M, K, N, b_KN), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const A = new ort.Tensor('float32', a_MK, [M, K]);
  return {
    async run(iters: number): Promise<void> {
      for (let i = 0; i < iters; i++) {
        const out = await session.run({ A });
        out.Y.dispose();
      }
      await device.queue.onSubmittedWorkDone();
    },
    /** For checking the baseline computes the right thing. */
    async result(): Promise<Float32Array> {
      const out = await session.run({ A });
      const data = (await out.Y.getData(true)) as Float32Array;
      return data;
    },
    destroy(): void {
      void session.release();
    },
  };
}

/** The wasm EP's MatMul ceiling on this machine: GFLOP/s of an n³ f32 MatMul (one warm-up, the mean of `reps` runs). */
export async function wasmMatmulCeiling(rt: { session(model: Uint8Array, what: string): Promise<import('onnxruntime-web').InferenceSession>; ort: Ort }, n = 1024, reps = 5): Promise<number> {
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const mm = await rt.session(matmulModel(n, n, n, b), 'the MatMul ceiling');
  const A = new rt.ort.Tensor('float32', b.slice(), [n, n]);
  await mm.run({ A });
  const t1 = performance.now();
  for (let i = 0; i < reps; i++) await mm.run({ A });
  const gflops = (2 * n ** 3) / ((performance.now() - t1) / reps) / 1e6;
  await mm.release();
  return gflops;
}
