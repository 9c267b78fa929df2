/** VAR's VQ-VAE decoder on the GPU (VAR_SPEC.md §1): the shared ConvDecoder with post_quant_conv and attention. */
import type { GpuContext } from '../../gpu/device';
import type { WeightSet } from '../weights';
import { ConvDecoder } from '../conv-decoder';
import type { VarConfig } from './config';

export { convWeightOffset } from '../conv-decoder';

export function varVaeDecoder(ctx: GpuContext, ws: WeightSet, cfg: VarConfig): ConvDecoder {
  const v = cfg.vae;
  const g = cfg.scales[cfg.scales.length - 1];
  return new ConvDecoder(ctx, ws, {
    prefix: 'vae.', zChannels: v.zChannels, ch: v.ch, chMult: v.chMult, numResBlocks: v.numResBlocks, gnGroups: v.gnGroups, gnEps: v.gnEps,
    postQuant: true, attention: true, wrapped: false, gridH: g, gridW: g,
  });
}
