/**
 * The model families, by the "family" of their config.json. Adding a family is one folder under
 * models/ (config, weights, steps, and a ModelFamily in its family.ts) plus one line here; the engine
 * only ever looks families up in this list (docs/architecture.md).
 */
import { ModelConfigError } from '../api/errors';
import type { ModelFamily } from './family';
import { nextflowFamily } from './nextflow/family';
import { varFamily } from './var/family';
import { infinityFamily } from './infinity/family';

export const MODEL_FAMILIES: readonly ModelFamily[] = [nextflowFamily, varFamily, infinityFamily];

/** The family that loads a config.json, or a ModelConfigError naming the families this build runs. */
export function familyOf(config: { family?: unknown }): ModelFamily {
  const f = MODEL_FAMILIES.find((x) => x.family === config.family);
  if (!f) {
    const known = MODEL_FAMILIES.map((x) => `"${x.family}"`).join(', ');
    throw new ModelConfigError(`model family "${String(config.family)}" is not supported (this engine runs ${known})`);
  }
  return f;
}
