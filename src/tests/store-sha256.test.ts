// Unit tests (node:test through tsx) of the store's incremental SHA-256: FIPS vectors and
// random split points against node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Sha256, sha256Hex } from '../store/sha256';

const enc = (s: string) => new TextEncoder().encode(s);

test('known vectors: empty, "abc", 448-bit message, 1 MB of "a"', () => {
  assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex(enc('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    sha256Hex(enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  // FIPS 180-2 appendix: one million 'a' (1 MB = 10^6 bytes).
  assert.equal(sha256Hex(new Uint8Array(1_000_000).fill(0x61)), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  // 1 MiB of 'a' against node:crypto.
  const mib = new Uint8Array(1 << 20).fill(0x61);
  assert.equal(sha256Hex(mib), createHash('sha256').update(mib).digest('hex'));
});

test('incremental updates at random split points equal a one-shot hash', () => {
  for (let n = 0; n < 200; n += 7) {
    const data = new Uint8Array(randomBytes(n * 13 + (n % 64)));
    const h = new Sha256();
    for (let p = 0; p < data.length; ) {
      const step = Math.floor(Math.random() * 150) + 1;
      h.update(data.subarray(p, p + step));
      p += step;
    }
    assert.equal(h.digestHex(), createHash('sha256').update(data).digest('hex'), `length ${data.length}`);
  }
});

test('update after digest throws', () => {
  const h = new Sha256().update(enc('x'));
  h.digest();
  assert.throws(() => h.update(enc('y')));
});
