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


/** An optional number: `fallback` when absent; present, it must be a number in range (never silently replaced). */
export function optNum(o: Json, key: string, where: string, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (o[key] === undefined) return fallback;
  const v = num(o, key, where, opts);
  if (opts.max !== undefined && v > opts.max) throw new ModelConfigError(`${where}.${key} must be ≤ ${opts.max}, got ${v}`);
  return v;
}

/** The sampling defaults of config.json "sampling": each optional, each checked when present. */
export function samplingDefaults(s: Json): { cfg: number; topK: number; topP: number; temperature: number; textTemperature: number } {
  return {
    cfg: optNum(s, 'cfg', 'sampling', 0, { min: 0, max: 100 }),
    topK: optNum(s, 'top_k', 'sampling', 0, { int: true, min: 0 }),
    topP: optNum(s, 'top_p', 'sampling', 0, { min: 0, max: 1 }),
    temperature: optNum(s, 'temperature', 'sampling', 1, { min: 0, max: 100 }),
    textTemperature: optNum(s, 'text_temperature', 'sampling', 0, { min: 0, max: 100 }),
  };
}
