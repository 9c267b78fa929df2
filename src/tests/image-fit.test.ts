// fitSquare: exact box averages, center crop, alpha on white.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitSquare } from '../formats/image-fit';

function img(W: number, H: number, f: (x: number, y: number) => [number, number, number, number]) {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set(f(x, y), 4 * (y * W + x));
  return { width: W, height: H, data };
}

test('fitSquare: 2x downscale averages 2×2 blocks exactly', () => {
  const src = img(4, 4, (x, y) => [x * 10, y * 20, 100, 255]);
  const out = fitSquare(src, 2);
  assert.deepEqual(Array.from(out.data.slice(0, 4)), [5, 10, 100, 255]);
  assert.deepEqual(Array.from(out.data.slice(12, 16)), [25, 50, 100, 255]);
});

test('fitSquare: a wide image is center-cropped; transparent pixels become white', () => {
  const src = img(6, 2, (x) => (x < 2 || x >= 4 ? [0, 0, 0, 255] : [200, 0, 0, 0]));
  const out = fitSquare(src, 2);
  for (let i = 0; i < 4; i++) assert.deepEqual(Array.from(out.data.slice(4 * i, 4 * i + 4)), [255, 255, 255, 255]);
});

test('fitSquare: a 3→2 downscale weights partial pixels by the area they cover', () => {
  const src = img(3, 3, (x) => [x === 1 ? 90 : 0, 0, 0, 255]);
  const out = fitSquare(src, 2);
  // Output pixel 0 covers source x in [0, 1.5): weights 1 (value 0) and 0.5 (value 90) → 30.
  assert.equal(out.data[0], 30);
  assert.equal(out.width, 2);
});
