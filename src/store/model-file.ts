/**
 * One verified file of a model, held as a list of chunks so multi-GB weights never need one
 * contiguous ArrayBuffer. Read it chunk by chunk (`chunks`, `for await`, `stream()`), or ask for
 * a contiguous copy with `bytes()` / `text()` / `json()` when the file is small.
 */
export class ModelFile {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly sha256: string,
    /** In file order; their lengths add up to `size`. */
    readonly chunks: readonly Uint8Array[],
    /** The store's record says its weight values were found finite when it was first stored. */
    readonly valuesChecked = false,
  ) {}

  /** A contiguous copy. Meant for small files (config, tokenizer, small shards). */
  bytes(): Uint8Array<ArrayBuffer> {
    if (this.chunks.length === 1) return this.chunks[0].slice();
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }

  text(): string {
    const dec = new TextDecoder();
    let s = '';
    for (const c of this.chunks) s += dec.decode(c, { stream: true });
    return s + dec.decode();
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** Bytes [start, end) as one copy, e.g. one tensor out of a safetensors shard. */
  slice(start: number, end = this.size): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(Math.max(0, Math.min(end, this.size) - start));
    let off = 0;
    for (const c of this.chunks) {
      const a = Math.max(start - off, 0);
      const b = Math.min(end - off, c.byteLength);
      if (b > a) out.set(c.subarray(a, b), off + a - start);
      off += c.byteLength;
      if (off >= end) break;
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (const c of this.chunks) yield c;
  }

  stream(): ReadableStream<Uint8Array> {
    let i = 0;
    return new ReadableStream({
      pull: (ctl) => (i < this.chunks.length ? ctl.enqueue(this.chunks[i++]) : ctl.close()),
    });
  }
}
