/** Typed reads of config.json fields; each failure is a ModelConfigError naming the field and what it holds. */
import { ModelConfigError } from '../api/errors';

export type Json = Record<string, unknown>;

export function num(o: Json, key: string, where: string, opts: { int?: boolean; min?: number } = {}): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min)) {
    throw new ModelConfigError(`${where}.${key} must be a${opts.int ? 'n integer' : ' number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function obj(o: Json, key: string, where: string): Json {
  const v = o[key];
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ModelConfigError(`${where}.${key} is missing`);
  return v as Json;
}

export function ints(o: Json, key: string, where: string, len?: number): number[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0) || (len !== undefined && v.length !== len)) {
    throw new ModelConfigError(`${where}.${key} must be an array of ${len ?? ''} non-negative integers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

