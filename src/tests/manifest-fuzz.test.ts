// The manifest reader refuses every corrupt manifest with ManifestError, never another error, and what it
// accepts holds the format's invariants. Seeded (SEED=<n> replays a run; a failure prints the seed and
// the mutation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../store';
import { MAX_FILE_BYTES, MAX_FILES, MAX_PATH_CHARS } from '../store/manifest';
import { ManifestError } from '../api/errors';
import { fuzzSeed, rng } from './fuzz-rng';

const good = () => ({
  format: 'nextscale-manifest',
  version: 1,
  model: 'nextscale-tiny',
  files: [
    { path: 'config.json', size: 2133, sha256: 'a'.repeat(64) },
    { path: 'model.safetensors', size: 2211280, sha256: '0123456789abcdef'.repeat(4) },
    { path: 'sub/tokenizer.json', size: 28244, sha256: 'f'.repeat(64) },
  ],
});

const WEIRD: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 53), MAX_FILE_BYTES, MAX_FILE_BYTES + 1, NaN, '', 'x', '../a', '/a', 'a//b', './a',
  'manifest.json', 'http://x/y', 'C:\\w', 'a\\b', [], {}, [1], { size: 1 }, '0'.repeat(64), 'A'.repeat(64), '1e3', ' 12'];

function mutate(r: () => number, m: any): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const kind = Math.floor(r() * 6);
  if (kind === 0) {
    const text = JSON.stringify(m);
    const i = Math.floor(r() * text.length);
    return text.slice(0, i) + String.fromCharCode(32 + Math.floor(r() * 95)) + text.slice(i + 1);
  }
  if (kind === 1) m[pick(['format', 'version', 'model', 'files', 'extra'])] = pick(WEIRD);
  else if (kind === 2) m.files[Math.floor(r() * m.files.length)][pick(['path', 'size', 'sha256', 'extra'])] = pick(WEIRD);
  else if (kind === 3) m.files.push(structuredClone(pick(m.files)));
  else if (kind === 4) m.files = r() < 0.5 ? [] : Array.from({ length: r() < 0.5 ? MAX_FILES + 1 : 3 }, (_, i) => ({ path: `f${i}`, size: i, sha256: 'b'.repeat(64) }));
  else m.files[0].path = 'p'.repeat(r() < 0.5 ? MAX_PATH_CHARS + 1 : 5);
  return JSON.stringify(m);
}

function invariants(text: string): void {
  const { manifest, id } = parseManifest(text, 'u');
  assert.match(id, /^[\s\S]+@[0-9a-f]{64}$/); // a name may hold any character, a newline too (it is shown as text)
  assert.ok(manifest.files.length >= 1 && manifest.files.length <= MAX_FILES);
  const paths = new Set<string>();
  for (const f of manifest.files) {
    assert.ok(Number.isSafeInteger(f.size) && f.size >= 0 && f.size <= MAX_FILE_BYTES, `size ${f.size}`);
    assert.match(f.sha256, /^[0-9a-f]{64}$/);
    assert.ok(f.path.length <= MAX_PATH_CHARS && f.path !== 'manifest.json' && !paths.has(f.path));
    assert.ok(!f.path.split('/').some((s) => s === '' || s === '.' || s === '..') && !f.path.includes('\\') && !/^[a-z][a-z0-9+.-]*:/i.test(f.path));
    paths.add(f.path);
  }
}

test('manifest fuzz: 2,000 mutations, each refused with ManifestError or accepted with every invariant', () => {
  const seed = fuzzSeed();
  const r = rng(seed);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const text = mutate(r, good());
    try {
      invariants(text);
    } catch (e) {
      if (e instanceof ManifestError) {
        refused++;
        continue;
      }
      assert.fail(`seed ${seed}, mutation ${i}: ${text.slice(0, 300)}\n${(e as Error).stack}`);
    }
  }
  assert.ok(refused > 1000, `only ${refused} of 2000 mutations were refused: the mutations are too mild`);
});
