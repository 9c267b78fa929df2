/**
 * Uniform data for many dispatches packed into a few GPU buffers at aligned offsets, written once
 * per submit. queue.writeBuffer is ordered with submits, so a chunk can be rewritten for the next
 * command buffer as soon as the previous one has been submitted.
 */
const CHUNK_BYTES = 64 * 1024;
const UNIFORM_USAGE = 0x40 | 0x8; // UNIFORM | COPY_DST

export interface UniformSlot {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

class Chunk {
  readonly cpu = new Uint8Array(CHUNK_BYTES);
  used = 0;
  constructor(readonly gpu: GPUBuffer) {}
}

export class UniformArena {
  private freeChunks: Chunk[] = [];
  private all: Chunk[] = [];

  constructor(
    private device: GPUDevice,
    private align: number,
  ) {}

  /** A session of uniform writes for one command buffer. */
  begin(): UniformWriter {
    return new UniformWriter(this, this.align);
  }

  /** @internal */
  takeChunk(): Chunk {
    const c = this.freeChunks.pop();
    if (c) {
      c.used = 0;
      return c;
    }
    const chunk = new Chunk(this.device.createBuffer({ size: CHUNK_BYTES, usage: UNIFORM_USAGE, label: 'uniforms' }));
    this.all.push(chunk);
    return chunk;
  }

  /** @internal Upload the chunks' bytes and make them reusable for later command buffers. */
  flush(chunks: Chunk[]): void {
    for (const c of chunks) {
      if (c.used > 0) this.device.queue.writeBuffer(c.gpu, 0, c.cpu.buffer, 0, c.used);
      this.freeChunks.push(c);
    }
  }

  destroy(): void {
    for (const c of this.all) c.gpu.destroy();
    this.all = [];
    this.freeChunks = [];
  }
}

export class UniformWriter {
  private chunks: Chunk[] = [];
  constructor(
    private arena: UniformArena,
    private align: number,
  ) {}

  /** Copy `data` into the arena; returns where it will live once flushed. */
  write(data: ArrayBuffer | ArrayBufferView): UniformSlot {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    let c = this.chunks[this.chunks.length - 1];
    if (!c || Math.ceil(c.used / this.align) * this.align + size > CHUNK_BYTES) {
      c = this.arena.takeChunk();
      this.chunks.push(c);
    }
    const offset = Math.ceil(c.used / this.align) * this.align;
    c.cpu.fill(0, offset, offset + size);
    c.cpu.set(bytes, offset);
    c.used = offset + size;
    return { buffer: c.gpu, offset, size };
  }

  flush(): void {
    this.arena.flush(this.chunks);
    this.chunks = [];
  }
}
