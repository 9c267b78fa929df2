/**
 * ONNX models written in TypeScript: a graph builder and the protobuf encoding of the few ONNX messages a
 * graph needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), so the
 * engine can make the graphs of any model config at load time, with no Python step and no generated files.
 * Initializers hold raw little-endian bytes (f32, f16, i64, i32, i8, u8).
 */

/** ONNX TensorProto.DataType values. */
export const OnnxType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type OnnxElem = (typeof OnnxType)[keyof typeof OnnxType];

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | OnnxTensor;

export interface OnnxTensor {
  name: string;
  type: OnnxElem;
  dims: readonly number[];
  raw: Uint8Array;
}

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
  name?: string;
}

/** A graph input or output: its element type and shape (a string is a symbolic dimension). */
export interface OnnxValue {
  name: string;
  type: OnnxElem;
  shape: ReadonlyArray<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

// ---- protobuf wire format -------------------------------------------------------------------------------

class Writer {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v)); // negative int64s are ten bytes, as protobuf encodes them
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x) byte |= 0x80;
      out.push(byte);
    } while (x);
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  float(field: number, f: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.push(b);
  }

  message(field: number, write: (w: Writer) => void): void {
    const w = new Writer();
    write(w);
    this.bytes(field, w.finish());
  }

  /** Packed repeated varints (int64 lists: dims, ints attributes). */
  packed(field: number, vs: readonly number[]): void {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function tensor(w: Writer, t: OnnxTensor): void {
  w.packed(1, t.dims);
  w.int(2, t.type);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function valueInfo(w: Writer, v: OnnxValue): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.type);
      tt.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function attribute(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`attribute ${name}: ${v} is not an integer; write { float: ${v} }`);
    w.int(3, v);
    w.int(20, 2);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, 3);
  } else if (Array.isArray(v)) {
    w.packed(8, v);
    w.int(20, 7);
  } else if ('float' in v) {
    w.float(2, v.float);
    w.int(20, 1);
  } else if ('floats' in v) {
    const b = new Uint8Array(4 * v.floats.length);
    const dv = new DataView(b.buffer);
    v.floats.forEach((f, i) => dv.setFloat32(4 * i, f, true));
    w.bytes(7, b);
    w.int(20, 6);
  } else {
    w.message(5, (t) => tensor(t, v));
    w.int(20, 4);
  }
}

/** The ModelProto bytes of a graph (IR version 8, ONNX opset 17 and, if used, com.microsoft 1). */
export function encodeModel(g: OnnxGraph, opset = 17): Uint8Array {
  const w = new Writer();
  w.int(1, 8);
  w.string(2, 'nextscale');
  w.message(7, (gw) => {
    for (const n of g.nodes) {
      gw.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        if (n.name) nw.string(3, n.name);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) nw.message(5, (aw) => attribute(aw, k, v));
        if (n.domain) nw.string(7, n.domain);
      });
    }
    gw.string(2, g.name);
    for (const t of g.initializers) gw.message(5, (tw) => tensor(tw, t));
    for (const v of g.inputs) gw.message(11, (vw) => valueInfo(vw, v));
    for (const v of g.outputs) gw.message(12, (vw) => valueInfo(vw, v));
  });
  w.message(8, (o) => o.int(2, opset));
  if (g.nodes.some((n) => n.domain === 'com.microsoft')) w.message(8, (o) => (o.string(1, 'com.microsoft'), o.int(2, 1)));
  return w.finish();
}

// ---- graph builder --------------------------------------------------------------------------------------

/** Builds a graph node by node; `op` returns its output names so calls nest like expressions. */
export class GraphBuilder {
  readonly graph: OnnxGraph;
  private n = 0;

  constructor(name: string) {
    this.graph = { name, nodes: [], initializers: [], inputs: [], outputs: [] };
  }

  input(name: string, type: OnnxElem, shape: ReadonlyArray<number | string>): string {
    this.graph.inputs.push({ name, type, shape });
    return name;
  }

  output(name: string, type: OnnxElem, shape: ReadonlyArray<number | string>): void {
    this.graph.outputs.push({ name, type, shape });
  }

  /** A constant tensor (weights, shapes, scalars). */
  init(name: string, type: OnnxElem, dims: readonly number[], raw: Uint8Array): string {
    this.graph.initializers.push({ name, type, dims, raw });
    return name;
  }

  f32(name: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    const a = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.init(name, OnnxType.FLOAT, dims, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  i64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.init(name, OnnxType.INT64, dims, new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
  }

  /** One node; returns its single output (named `out`, or a fresh name). */
  op(op: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, out?: string, domain?: string): string {
    const o = out ?? `${op.toLowerCase()}_${this.n++}`;
    this.graph.nodes.push({ op, inputs, outputs: [o], attrs, domain });
    return o;
  }

  /** A node with several outputs. */
  ops(op: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, AttrValue>): readonly string[] {
    this.graph.nodes.push({ op, inputs, outputs, attrs });
    return outputs;
  }

  encode(opset?: number): Uint8Array {
    return encodeModel(this.graph, opset);
  }
}
