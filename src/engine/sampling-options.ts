/** Sampling options of a request: the model's defaults filled in, every value checked (one place for images and chat). */
import { InvalidOptionError } from '../api/errors';
import type { SamplingDefaults } from '../api/types';
import type { ImageSampling } from '../models/family';

/** Throws InvalidOptionError for the first value out of range (cfg, topK, topP, temperature, seed). */
export function checkSampling(s: ImageSampling): void {
  if (!(s.cfg >= 0) || !Number.isFinite(s.cfg)) throw new InvalidOptionError('cfg', s.cfg, 'a number ≥ 0');
  if (!Number.isInteger(s.topK) || s.topK < 0) throw new InvalidOptionError('topK', s.topK, 'an integer ≥ 0 (0 = off)');
  if (!(s.topP >= 0 && s.topP <= 1)) throw new InvalidOptionError('topP', s.topP, 'a number in [0, 1] (0 or 1 = off)');
  if (!(s.temperature >= 0) || !Number.isFinite(s.temperature)) throw new InvalidOptionError('temperature', s.temperature, 'a number ≥ 0 (0 = greedy)');
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new InvalidOptionError('seed', s.seed, 'an integer in [0, 2^32)');
}

/** A random u32 seed, for requests that give none. */
export const randomSeed = (): number => Math.floor(Math.random() * 2 ** 32);

/** The sampling of an image request: its options over the model's defaults, checked. */
export function imageSampling(opts: Partial<SamplingDefaults> & { seed?: number }, d: SamplingDefaults): ImageSampling {
  const s = { cfg: opts.cfg ?? d.cfg, topK: opts.topK ?? d.topK, topP: opts.topP ?? d.topP, temperature: opts.temperature ?? d.temperature, seed: opts.seed ?? randomSeed() };
  checkSampling(s);
  return s;
}

/**
 * The sampling of a chat reply. `temperature` applies to the words (default: the model's text
 * temperature); images in the reply use the model's image temperature.
 */
export function chatSampling(opts: Partial<SamplingDefaults> & { seed?: number }, d: SamplingDefaults & { textTemperature?: number }): { image: ImageSampling; textTemperature: number } {
  const image = { cfg: opts.cfg ?? d.cfg, topK: opts.topK ?? d.topK, topP: opts.topP ?? d.topP, temperature: d.temperature, seed: opts.seed ?? randomSeed() };
  const textTemperature = opts.temperature ?? d.textTemperature ?? d.temperature;
  checkSampling({ ...image, temperature: textTemperature });
  return { image, textTemperature };
}
