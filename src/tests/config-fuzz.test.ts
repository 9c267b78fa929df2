// config.json validation (models/nextflow/config.ts): the reliability issue's corruptions each give
// ModelConfigError, and a seeded fuzz of field mutations never gives another error nor accepts a
// config that breaks an invariant the engine relies on. SEED=<n> reproduces a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MAX_CONTEXT, parseNextFlowConfig } from '../models/nextflow/config';
import { ModelConfigError } from '../api/errors';
import { fuzzSeed, rng } from './fuzz-rng';

const shipped = JSON.parse(readFileSync(new URL('../../models/nextscale-tiny/config.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const clone = () => structuredClone(shipped) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('config: each corruption of the reliability issue is a ModelConfigError', () => {
  assert.equal(parseNextFlowConfig(clone()).name, 'nextscale-tiny');
  const cases: Array<[string, (c: Record<string, any>) => void]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a special id of 10⁹', (c) => (c.vocab.specials['<boi>'] = 1e9)],
    ['text_range past the vocabulary', (c) => (c.vocab.text_range = [c.vocab.text_range[0], c.vocab.size + 5])],
    ['max_context 10⁹', (c) => (c.max_context = 1e9)],
    ['max_context −5', (c) => (c.max_context = -5)],
    ['max_text_tokens 10⁹', (c) => (c.max_text_tokens = 1e9)],
    ['top_k "ten"', (c) => (c.sampling.top_k = 'ten')],
    ['top_p 2', (c) => (c.sampling.top_p = 2)],
    ['sampling not an object', (c) => (c.sampling = 3)],
    ['two specials with one id', (c) => (c.vocab.specials['<eoi>'] = c.vocab.specials['<boi>'])],
    ['a special inside the image range', (c) => (c.vocab.specials['<null>'] = c.vocab.image_range[0])],
    ['overlapping text and image ranges', (c) => (c.vocab.text_range = [c.vocab.text_range[0], c.vocab.image_range[0] + 1])],
    ['a description that is not text', (c) => (c.description = 7)],
  ];
  for (const [what, mutate] of cases) {
    const c = clone();
    mutate(c);
    assert.throws(() => parseNextFlowConfig(c), (e) => e instanceof ModelConfigError && e.code === 'E_MODEL_CONFIG', what);
  }
});

const VALUES: unknown[] = [0, 1, -1, 2, 3, 7, 64, 512, 1e9, -5, 0.5, NaN, null, true, 'ten', '8', [], {}, [0, 1], [1, 0], [0, 1e9]];

/** Every path to a leaf (or small array) of a JSON value. */
function paths(v: unknown, at: string[] = []): string[][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]);
  return [];
}

test('config fuzz: 4,000 mutations give ModelConfigError or a config whose invariants hold', () => {
  const seed = fuzzSeed();
  const r = rng(seed);
  const all = paths(shipped).filter((p) => p[0] !== 'training' && p[0] !== 'vq' || ['latent_ch', 'dec_widths', 'enc_widths', 'groupnorm_groups'].includes(p[1] ?? ''));
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    const c = clone();
    const hows: string[] = [];
    for (let m = 1 + Math.floor(r() * 2); m > 0; m--) {
      const p = all[Math.floor(r() * all.length)];
      // A fresh copy: assigning the shared {} or [] would let a later mutation write into VALUES itself.
      const v = structuredClone(VALUES[Math.floor(r() * VALUES.length)]);
      let o = c;
      for (const k of p.slice(0, -1)) o = o?.[k];
      if (o && typeof o === 'object') {
        o[p[p.length - 1]] = v;
        hows.push(`${p.join('.')} = ${JSON.stringify(v)}`);
      }
    }
    const where = `seed ${seed}, case ${i}: ${hows.join('; ')}. Rerun with SEED=${seed}`;
    let cfg;
    try {
      cfg = parseNextFlowConfig(c);
    } catch (e) {
      assert.ok(e instanceof ModelConfigError, `${where}: untyped ${String(e)}`);
      continue;
    }
    accepted++;
    const v = cfg.vocab;
    const inVocab = (id: number) => Number.isInteger(id) && id >= 0 && id < v.size;
    for (const id of [v.bos, v.eos, v.boi, v.eoi, v.null]) assert.ok(inVocab(id), `${where}: special ${id}`);
    for (const id of [v.user, v.assistant]) assert.ok(id === undefined || inVocab(id), `${where}: chat special ${id}`);
    assert.ok(v.textStart >= 0 && v.textStart + v.textCount <= v.size && v.imageStart >= 0 && v.imageStart + v.imageCount <= v.size, `${where}: ranges`);
    assert.ok(Number.isInteger(cfg.contextLength) && cfg.contextLength >= 2 && cfg.contextLength <= MAX_CONTEXT, `${where}: context ${cfg.contextLength}`);
    assert.ok(Number.isInteger(cfg.maxTextTokens) && cfg.maxTextTokens >= 1 && cfg.maxTextTokens <= cfg.contextLength, `${where}: max text ${cfg.maxTextTokens}`);
    const s = cfg.sampling;
    assert.ok(s.cfg >= 0 && Number.isInteger(s.topK) && s.topK >= 0 && s.topP >= 0 && s.topP <= 1 && s.temperature >= 0 && s.textTemperature >= 0, `${where}: sampling ${JSON.stringify(s)}`);
    assert.ok(Object.values(cfg.arch).every((x) => (Array.isArray(x) ? x.every(Number.isFinite) : Number.isFinite(x))), `${where}: arch`);
  }
  assert.ok(accepted > 0);
});
