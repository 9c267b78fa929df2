/**
 * What an Infinity image needs in memory besides the weights, for the checks before loading: the KV cache
 * of the whole schedule (both CFG rows), the attention scores of the last scale as the CPU backend's
 * graphs form them, and the VAE decoder's largest activations (three maps live at the finest level).
 */
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

const mb = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 1 : 0)} MiB`;

export function infinityMemory(c: InfinityConfig, resolution: number, hDivW: number, weightBytes: number): InfinityMemory {
  const s = infinitySchedule(hDivW, resolution);
  const a = c.arch;
  const B = 2;
  const [h, w] = s.scales[s.scales.length - 1];
  const up = 2 ** (c.vae.chMult.length - 1);
  const kvBytes = 2 * a.depth * B * s.tokens * a.dim * 4;
  const attentionBytes = B * a.heads * h * w * s.tokens * 4;
  const widest = c.vae.ch * Math.max(c.vae.chMult[0], c.vae.chMult[Math.min(1, c.vae.chMult.length - 1)]);
  const decoderBytes = 3 * widest * h * up * w * up * 4;
  const workBytes = kvBytes + attentionBytes + decoderBytes;
  return {
    kvBytes, attentionBytes, decoderBytes, workBytes, totalBytes: weightBytes + workBytes,
    describe: `weights ${mb(weightBytes)}, KV cache ${mb(kvBytes)}, attention ${mb(attentionBytes)} and decoder activations ${mb(decoderBytes)} for a ${w * up}×${h * up} image`,
  };
}
