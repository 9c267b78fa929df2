import { KernelShapeError } from '../../src/api/errors';
import { recordImageToRgba } from '../../src/kernels/image_to_rgba';
import { imageToRgbaRef } from '../../src/kernels/reference/image_to_rgba';
import { expectEqual, expectThrows, MismatchError, type KernelCase, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

export const suite: KernelSuite = {
  name: 'image_to_rgba',
  tolerance: 'exact (each channel may differ by at most 1 where x·127.5 lands on .5 within float rounding; counted)',
  cases(rng) {
    const cases: KernelCase[] = [1, 3, 13, 64].map((side) => ({
      name: `H=W=${side}`,
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const img = rng.floats(3 * side * side, 0.8);
          img[0] = 5; // clamps
          img[1 % img.length] = -5;
          const I = t.upload(img);
          const O = t.empty(side * side);
          await t.run((rec) => recordImageToRgba(rec, { img: I, rgba: O, H: side, W: side }));
          const got = await t.readU32(O, side * side);
          const want = imageToRgbaRef(img, side, side);
          let off = 0;
          for (let i = 0; i < want.length; i++) {
            for (let c = 0; c < 32; c += 8) {
              const d = Math.abs(((got[i] >>> c) & 255) - ((want[i] >>> c) & 255));
              if (d > 1) throw new MismatchError(`pixel ${i} channel ${c / 8}: got ${(got[i] >>> c) & 255} want ${(want[i] >>> c) & 255}`);
              off += d;
            }
          }
          if (off > 2) expectEqual('rgba', got, want);
        }),
    }));
    cases.push(
      {
        name: 'too-small output raises KernelShapeError',
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const I = t.upload(new Float32Array(3 * 16));
            const O = t.empty(8);
            await expectThrows('small rgba', KernelShapeError, () => t.run((rec) => recordImageToRgba(rec, { img: I, rgba: O, H: 4, W: 4 })));
          }),
      },
    );
    return cases;
  },
};
