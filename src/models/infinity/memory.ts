/**
 * What an Infinity image needs in memory besides the weights, for the checks before loading: the KV cache
 * of the whole schedule (both CFG rows), the attention scores of the last scale as the CPU backend's
 * graphs form them, and the VAE decoder's largest activations (three maps live at the finest level).
 */
import { BufferTooLargeError } from '../../api/errors';
import type { InfinityConfig } from './config';
import { infinitySchedule } from './schedule';

export interface InfinityMemory {
  kvBytes: number;
  attentionBytes: number;
  decoderBytes: number;
  /** Everything but the weights. */
  workBytes: number;
  /** Weights and work. */
  totalBytes: number;
  describe: string;
}

/**
 * Elements per latent cell of the decoder's largest map: level i holds ch·mult[i] channels at 4^(levels−1−i)
 * times the latent's area, and its upsampled output (i > 0) four times that.
 */
function decoderMap(c: InfinityConfig): number {
  const n = c.vae.chMult.length;
  return c.vae.ch * Math.max(...c.vae.chMult.map((m, i) => m * 4 ** (n - 1 - i) * (i > 0 ? 4 : 1)));
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 1 : 0)} MiB`;

export function infinityMemory(c: InfinityConfig, resolution: number, hDivW: number, weightBytes: number): InfinityMemory {
  const s = infinitySchedule(hDivW, resolution);
  const a = c.arch;
  const B = 2;
  const [h, w] = s.scales[s.scales.length - 1];
  const up = 2 ** (c.vae.chMult.length - 1);
  const kvBytes = 2 * a.depth * B * s.tokens * a.dim * 4;
  const attentionBytes = B * a.heads * h * w * s.tokens * 4;
  const decoderBytes = 3 * decoderMap(c) * h * w * 4;
  const workBytes = kvBytes + attentionBytes + decoderBytes;
  return {
    kvBytes, attentionBytes, decoderBytes, workBytes, totalBytes: weightBytes + workBytes,
    describe: `weights ${mb(weightBytes)}, KV cache ${mb(kvBytes)}, attention ${mb(attentionBytes)} and decoder activations ${mb(decoderBytes)} for a ${w * up}×${h * up} image`,
  };
}

/**
 * The largest single buffers an image needs on WebGPU (one layer's KV cache, the FFN activations, the decoder's
 * ping-pong maps), checked against the device's limits before anything is allocated: a typed error with the
 * numbers instead of a failed allocation.
 */
export function assertInfinityFitsGpu(c: InfinityConfig, resolution: number, hDivW: number, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }): void {
  const s = infinitySchedule(hDivW, resolution);
  const a = c.arch;
  const [h, w] = s.scales[s.scales.length - 1];
  const up = 2 ** (c.vae.chMult.length - 1);
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const needs: Array<[string, number]> = [
    ['one layer\'s KV cache', 2 * s.tokens * a.dim * 4],
    ['the FFN activations', 2 * h * w * a.ffn * 4],
    ['a VAE decoder activation', decoderMap(c) * h * w * 4],
  ];
  for (const [what, bytes] of needs) {
    if (bytes > limit) throw new BufferTooLargeError(`${c.name} at ${w * up}×${h * up}: ${what}`, bytes, 'maxBufferSize / maxStorageBufferBindingSize', limit);
  }
}
