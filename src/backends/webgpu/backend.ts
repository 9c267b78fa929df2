/**
 * The WebGPU backend: a step is one command Recorder; running it is one submit. The outputs the
 * driver asked for are copied into one staging buffer inside that same submit, so a step costs one
 * submit and one map, however many outputs it has.
 */
import type { GpuContext } from '../../gpu/device';
import { Recorder, type GpuOutput } from '../../gpu/recorder';
import type { Backend } from '../backend';

const MAP_READ_COPY_DST = 0x1 | 0x8;

export class WebGpuBackend implements Backend<Recorder, GpuOutput> {
  readonly name = 'webgpu';

  constructor(readonly ctx: GpuContext) {}

  begin(label: string): Recorder {
    return new Recorder(this.ctx, label);
  }

  async run<K extends string>(rec: Recorder, outputs: Readonly<Record<K, GpuOutput>>): Promise<Record<K, ArrayBuffer>> {
    const keys = Object.keys(outputs) as K[];
    if (!keys.length) {
      rec.submit();
      return {} as Record<K, ArrayBuffer>;
    }
    // Copies are 4-byte multiples at 4-byte offsets (every output is u32 or f32 data).
    const at: number[] = [];
    let total = 0;
    for (const k of keys) {
      at.push(total);
      total += Math.ceil(outputs[k].bytes / 4) * 4;
    }
    const staging = this.ctx.device.createBuffer({ size: Math.max(4, total), usage: MAP_READ_COPY_DST, label: 'step-readback' });
    try {
      keys.forEach((k, i) => {
        const o = outputs[k];
        if (o.bytes > 0) rec.copy(o.buffer, o.offset, staging, at[i], Math.ceil(o.bytes / 4) * 4);
      });
      rec.submit();
      await staging.mapAsync(0x1 /* GPUMapMode.READ */);
      const mapped = staging.getMappedRange();
      const out = {} as Record<K, ArrayBuffer>;
      keys.forEach((k, i) => (out[k] = mapped.slice(at[i], at[i] + outputs[k].bytes)));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }
}
