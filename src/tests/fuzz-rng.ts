/** xorshift32: a small seeded generator for the fuzz tests, so a failing case replays from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** The run's seed: SEED from the environment (to replay a failure), or a fresh one. */
export const fuzzSeed = (): number => Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
