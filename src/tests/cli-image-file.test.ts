// Unit tests (node:test) of the CLI's image files (src/cli/image-file.ts): PNG, JPEG, GIF and WebP
// decoded to the same pixels (JPEG within its loss), recognised by their bytes, and bad files refused
// with ImageFileError. Fixtures: a 12×8 image, left half red (200, 30, 30), right half white.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImageFile } from '../cli/image-file';
import { ImageFileError } from '../api/errors';

const fixture = (ext: string) => new URL(`./fixtures/half-red.${ext}`, import.meta.url).pathname;

test('cli images: PNG, JPEG, GIF and WebP decode to the same picture', async () => {
  for (const [ext, tol] of [['png', 0], ['gif', 0], ['webp', 0], ['jpg', 24]] as const) {
    const img = await readImageFile(fixture(ext));
    assert.equal(img.width, 12, ext);
    assert.equal(img.height, 8, ext);
    assert.equal(img.data.length, 12 * 8 * 4, ext);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 12 + x) * 4, (y * 12 + x) * 4 + 4));
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
    assert.ok(near(px(1, 1), [200, 30, 30, 255]), `${ext} left ${px(1, 1)}`);
    assert.ok(near(px(10, 6), [255, 255, 255, 255]), `${ext} right ${px(10, 6)}`);
  }
});

test('cli images: a file that is no image, a truncated one and a missing one are ImageFileError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextscale-img-'));
  const text = join(dir, 'notes.png');
  writeFileSync(text, 'not an image at all');
  const cut = join(dir, 'cut.jpg');
  writeFileSync(cut, Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46));
  for (const [path, re] of [[text, /not a PNG, JPEG, WebP or GIF/], [cut, /Cannot read .* as JPEG/], [join(dir, 'nope.png'), /does not exist/]] as const) {
    await assert.rejects(readImageFile(path), (e) => e instanceof ImageFileError && e.code === 'E_IMAGE_FILE' && re.test(e.message), path);
  }
});
