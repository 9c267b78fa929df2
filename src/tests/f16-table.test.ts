// f16ArrayToF32 (a lookup table, used for every f16 weight read on the CPU) against the per-value
// conversion, for all 65,536 bit patterns: ±0, subnormals, normals, ±Inf and NaNs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ArrayToF32, f16BitsToF32 } from '../formats/f16';

test('f16ArrayToF32 gives f16BitsToF32 for every bit pattern', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const got = f16ArrayToF32(all);
  for (let h = 0; h < 65536; h++) {
    const want = Math.fround(f16BitsToF32(h));
    assert.ok(Object.is(got[h], want) || (Number.isNaN(got[h]) && Number.isNaN(want)), `0x${h.toString(16)}: ${got[h]} vs ${want}`);
  }
});
