// The VAR checkpoint layout in TS (models/var/checkpoint-layout.ts) against the published key lists of
// var_d16.pth and vae_ch160v4096z32.pth (tools/reference/keys/): every key, in order, with its shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vaeShapes, varShapes } from '../models/var/checkpoint-layout';

const KEYS = join(import.meta.dirname, '..', '..', 'tools', 'reference', 'keys');

function published(file: string): Array<[string, number[]]> {
  return readFileSync(join(KEYS, file), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('===='))
    .map((l) => {
      const [key, shape] = l.split('\t');
      return [key, shape.replace(/[() ]/g, '').split(',').filter(Boolean).map(Number)];
    });
}

test('VAR d16: every published key, in order, with its shape', () => {
  const want = published('var_d16_keys.txt');
  assert.equal(want.length, 220);
  assert.deepEqual([...varShapes(16, [1, 2, 3, 4, 5, 6, 8, 10, 13, 16], 1000, 4096, 32)], want);
});

test('VQVAE ch160 v4096 z32: every published key, in order, with its shape', () => {
  const want = published('vae_keys.txt');
  assert.equal(want.length, 324);
  assert.deepEqual([...vaeShapes(160, 4096, 32)], want);
});
