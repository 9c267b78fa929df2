/** `--text-features FILE.safetensors`: the prompt's text features for Infinity (formats/text-features.ts). */
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../api/errors';
import { textFeaturesFromSafetensors } from '../formats/text-features';

export function readTextFeatures(file: string): { data: Float32Array; shape: [number, number] } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InvalidOptionError('text-features', file, `a readable .safetensors file (${(e as Error).message})`);
  }
  return textFeaturesFromSafetensors(bytes, file);
}
