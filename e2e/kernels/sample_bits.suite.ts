import { KernelShapeError } from '../../src/api/errors';
import { Recorder } from '../../src/gpu/recorder';
import { recordSampleBits, type SampleBitsOptions } from '../../src/kernels/sample_bits';
import { imageStep } from '../../src/kernels/rng';
import { sampleBitsRef } from '../../src/kernels/reference/sample';
import { expectClose, expectThrows, MismatchError, ODD_TOKEN_COUNTS, type KernelCase, type KernelSuite, type Rng } from './harness';
import { withBuffers } from './gpu-util';

interface Case extends SampleBitsOptions {
  cfgRows: boolean;
  scale: number;
}

const describe = (c: Case) =>
  `T=${c.T} d=${c.d}${c.cfgRows ? ` cfg t=${c.guidance}` : ''} temp=${c.temperature} topK=${c.topK} topP=${c.topP} logits×${c.scale}${c.forced ? ' forced' : ''}`;

function randomCase(rng: Rng, T: number): Case {
  const cfgRows = rng.next() < 0.6;
  return {
    T, d: rng.pick([1, 7, 16, 32]), cfgRows, guidance: cfgRows ? rng.pick([2, 3, 0.5]) : 0,
    temperature: rng.pick([0, 0.5, 1]), topK: rng.pick([0, 1, 2]), topP: rng.pick([0, 0.97, 0.5]),
    seed: rng.int(0, 2 ** 31), step: imageStep(0, rng.int(0, 12)), posOffset: rng.int(0, 3), scale: rng.pick([0.3, 3]),
  };
}

async function run(ctx: Parameters<KernelCase['run']>[0], rng: Rng, c: Case): Promise<void> {
  await withBuffers(ctx, async (t) => {
    const { T, d } = c;
    const rowStride = 2 * d + rng.int(0, 3);
    const n = T * rowStride;
    const logits = rng.floats(c.cfgRows ? 2 * n : n, c.scale);
    const uncondOffset = c.cfgRows ? n : undefined;
    const outOffset = rng.int(0, 4);
    const mapOffset = rng.int(0, 4);
    const forcedCodes = Uint32Array.from({ length: T }, () => (rng.int(0, 2 ** 16) * 2 ** 16 + rng.int(0, 2 ** 16)) >>> (32 - d));
    const codesInit = new Uint32Array(outOffset + T + 1).fill(0xdeadbeef);
    if (c.forced) codesInit.set(forcedCodes, outOffset);
    const [L, C, M] = [t.upload(logits), t.upload(codesInit), t.upload(new Float32Array(mapOffset + d * T + 1).fill(Number.NaN))];
    const o: SampleBitsOptions = { ...c, rowStride, uncondOffset, outOffset, mapOffset };
    await t.run((rec) => recordSampleBits(rec, L, C, M, o));
    const codes = await t.readU32(C, outOffset + T + 1);
    if (codes[outOffset + T] !== 0xdeadbeef || (outOffset && codes[outOffset - 1] !== 0xdeadbeef)) throw new MismatchError('wrote outside the codes range');
    const got = codes.subarray(outOffset, outOffset + T);
    if (c.forced) {
      for (let r = 0; r < T; r++) if (got[r] !== forcedCodes[r]) throw new MismatchError(`forced: token ${r} code changed`);
    } else {
      const want = sampleBitsRef(logits, { ...c, rowStride, uncondOffset });
      let near = 0;
      for (let r = 0; r < T; r++) {
        for (let j = 0; j < d; j++) {
          const w = want[r * d + j];
          const bit = (got[r] >>> j) & 1;
          if (bit === w.code) continue;
          if (w.near && w.alternatives.includes(bit)) {
            near++;
            continue;
          }
          throw new MismatchError(`token ${r} bit ${j}: got ${bit}, want ${w.code}`);
        }
      }
      if (d < 32 && got.some((x) => x >>> d !== 0)) throw new MismatchError('bits above d are set');
      if (near) console.log(`sample_bits ${describe(c)}: ${near} bits near a boundary took the neighbour`);
    }
    const v = 1 / Math.sqrt(d);
    const wantMap = new Float32Array(d * T);
    for (let r = 0; r < T; r++) for (let j = 0; j < d; j++) wantMap[j * T + r] = (got[r] >>> j) & 1 ? v : -v;
    expectClose('code map', (await t.readF32(M, mapOffset + d * T)).subarray(mapOffset), wantMap, { atol: 0 });
  });
}

export const suite: KernelSuite = {
  name: 'sample_bits',
  tolerance: 'codes equal the reference bit for bit (a neighbour accepted only within 1e-5 of a draw boundary); the code map exactly ±1/√d',
  cases(rng) {
    const cases: KernelCase[] = [];
    for (const T of ODD_TOKEN_COUNTS) {
      const c = randomCase(rng, T);
      cases.push({ name: describe(c), run: (ctx) => run(ctx, rng, c) });
    }
    const g: Case = { ...randomCase(rng, 200), d: 32, temperature: 0.5, topK: 1 };
    cases.push({ name: `top-k 1 is greedy: ${describe(g)}`, run: (ctx) => run(ctx, rng, g) });
    const f: Case = { ...randomCase(rng, 37), forced: true };
    cases.push({ name: describe(f), run: (ctx) => run(ctx, rng, f) });
    cases.push({
      name: 'bad input raises typed errors',
      run: (ctx) =>
        withBuffers(ctx, async (t) => {
          const [L, C, M] = [t.empty(2 * 4 * 64), t.empty(8), t.empty(4 * 32)];
          const o: SampleBitsOptions = { T: 4, d: 32, temperature: 1, seed: 0, step: 0 };
          const rec = () => new Recorder(ctx, 'errors');
          await expectThrows('d = 33', KernelShapeError, () => recordSampleBits(rec(), L, C, M, { ...o, d: 33 }));
          await expectThrows('map = logits', KernelShapeError, () => recordSampleBits(rec(), L, C, L, o));
          await expectThrows('logits too small', KernelShapeError, () => recordSampleBits(rec(), L, C, M, { ...o, uncondOffset: 1000 }));
          await expectThrows('map too small', KernelShapeError, () => recordSampleBits(rec(), L, C, M, { ...o, mapOffset: 1 }));
          await expectThrows('negative temperature', KernelShapeError, () => recordSampleBits(rec(), L, C, M, { ...o, temperature: -1 }));
        }),
    });
    return cases;
  },
};
