/**
 * A T5 v1.1 encoder's config.json as the Hugging Face hub publishes it (T5Config), parsed and checked: the
 * sizes, the relative-position buckets, and the gated-GELU FFN (flan-t5: "gated-gelu", the tanh GELU).
 */
import { ModelConfigError } from '../../api/errors';
import { num, optNum, type Json } from '../config-json';

export interface T5Config {
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numLayers: number;
  numHeads: number;
  buckets: number;
  maxDistance: number;
  eps: number;
}

export function parseT5Config(json: unknown): T5Config {
  if (!json || typeof json !== 'object') throw new ModelConfigError('config.json is not a JSON object');
  const c = json as Json;
  const arch = Array.isArray(c.architectures) ? c.architectures.join(',') : '';
  if (c.model_type !== 't5' && !/T5/.test(arch)) throw new ModelConfigError(`config.json is not a T5 config (model_type "${String(c.model_type)}")`);
  const ff = typeof c.feed_forward_proj === 'string' ? c.feed_forward_proj : 'relu';
  if (ff !== 'gated-gelu') throw new ModelConfigError(`feed_forward_proj "${ff}" is not supported: the T5 v1.1 encoders (flan-t5) use "gated-gelu"`);
  const pos = { int: true, min: 1 };
  return {
    vocabSize: num(c, 'vocab_size', 'config', pos),
    dModel: num(c, 'd_model', 'config', pos),
    dKv: num(c, 'd_kv', 'config', pos),
    dFf: num(c, 'd_ff', 'config', pos),
    numLayers: num(c, 'num_layers', 'config', pos),
    numHeads: num(c, 'num_heads', 'config', pos),
    buckets: optNum(c, 'relative_attention_num_buckets', 'config', 32, pos),
    maxDistance: optNum(c, 'relative_attention_max_distance', 'config', 128, pos),
    eps: optNum(c, 'layer_norm_epsilon', 'config', 1e-6, { min: 0, max: 1 }),
  };
}

/**
 * The bidirectional bucket of a relative position (memory − query), as T5 computes it in float32: half the
 * buckets per sign; exact below buckets/4; then ⌊(ln(n / exact) / ln(maxDistance / exact))·(half − exact)⌋ + exact,
 * saturated at half − 1.
 */
export function relativeBucket(rel: number, buckets = 32, maxDistance = 128): number {
  const f = Math.fround;
  const half = buckets >> 1;
  const exact = half >> 1;
  const sign = rel > 0 ? half : 0;
  const n = Math.abs(rel);
  if (n < exact) return sign + n;
  const v = f(f(f(Math.log(f(n / exact))) / f(Math.log(maxDistance / exact))) * (half - exact));
  return sign + Math.min(exact + Math.trunc(v), half - 1);
}
