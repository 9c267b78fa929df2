// The GPU layer itself: device errors, the WGSL preprocessor, the pipeline cache and the buffer pool.
import { createGpuContext } from '../../src/gpu/device';
import { WebGPUUnavailableError } from '../../src/api/errors';
import { bucketSize } from '../../src/gpu/buffer-pool';
import { preprocessWgsl } from '../../src/gpu/wgsl-preprocess';
import { recordUnary } from '../../src/kernels/elementwise';
import { unaryRef } from '../../src/kernels/reference/elementwise';
import { expectClose, expectThrows, MismatchError, type KernelSuite } from './harness';
import { withBuffers } from './gpu-util';

function check(cond: boolean, msg: string): void {
  if (!cond) throw new MismatchError(msg);
}

export const suite: KernelSuite = {
  name: 'gpu-layer',
  tolerance: 'exact (structure), atol 1e-5 for the reuse check',
  cases(rng) {
    return [
      {
        name: 'no adapter raises WebGPUUnavailableError',
        run: async () => {
          const fakeGpu = { requestAdapter: async () => null } as unknown as GPU;
          await expectThrows('null adapter', WebGPUUnavailableError, () => createGpuContext({ gpu: fakeGpu }));
        },
      },
      {
        name: 'preprocessor: nested #if/#elif/#else and substitution',
        run: async () => {
          const src = ['a', '#if X', 'x', '#if !Y', 'noty', '#else', 'y', '#endif', '#elif Z', 'z', '#else', 'none', '#endif', 'n={{N}}'].join('\n');
          const got = (d: Record<string, number>) => preprocessWgsl(src, d).split('\n').join(' ');
          check(got({ X: 1, N: 4 }) === 'a x noty n=4', `X: ${got({ X: 1, N: 4 })}`);
          check(got({ X: 1, Y: 1, N: 4 }) === 'a x y n=4', `XY: ${got({ X: 1, Y: 1, N: 4 })}`);
          check(got({ Z: 1, N: 4 }) === 'a z n=4', `Z: ${got({ Z: 1, N: 4 })}`);
          check(got({ N: 2 }) === 'a none n=2', `none: ${got({ N: 2 })}`);
          await expectThrows('undefined define', Error, () => preprocessWgsl('{{MISSING}}', {}));
        },
      },
      {
        name: 'pipeline cache: new sizes reuse one pipeline',
        run: (ctx) =>
          withBuffers(ctx, async (t) => {
            const before = ctx.pipelines.compiled;
            for (const n of [3, 5, 13, 169, rng.int(200, 5000)]) {
              const a = rng.floats(n);
              const A = t.upload(a);
              const O = t.empty(n);
              await t.run((rec) => recordUnary(rec, 'silu', A, O, n));
              expectClose(`silu n=${n}`, await t.readF32(O, n), unaryRef('silu', a), { atol: 1e-5, rtol: 1e-5 });
            }
            const added = ctx.pipelines.compiled - before;
            check(added <= 1, `expected at most one new pipeline for five sizes, compiled ${added}`);
          }),
      },
      {
        name: 'buffer pool: buckets, reuse, live/peak bytes',
        run: async (ctx) => {
          check(bucketSize(1) === 256 && bucketSize(257) === 512 && bucketSize(70000) >= 70000, 'bucketSize');
          const pool = ctx.pool;
          const live0 = pool.liveBytes;
          const a = pool.acquire(1000);
          const b = pool.acquire(100_000);
          check(pool.liveBytes - live0 === bucketSize(1000) + bucketSize(100_000), `live bytes ${pool.liveBytes - live0}`);
          pool.release(a);
          const c = pool.acquire(900); // same bucket as 1000
          check(c === a, 'a released buffer of the same bucket is reused');
          pool.release(b);
          pool.release(c);
          check(pool.liveBytes === live0, 'all released');
          check(pool.peakBytes >= live0 + bucketSize(1000) + bucketSize(100_000), 'peak tracked');
        },
      },
    ];
  },
};
