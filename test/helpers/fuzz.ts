// How long the property-based tests run: a bounded number of runs in `./dev test` (a few seconds
// each), more when FUZZ_RUNS is set (scripts/fuzz-props.sh). FUZZ_SEED replays a failure that
// fast-check reported (it prints the seed and the path).
import type fc from 'fast-check';

/** fast-check parameters for a property: `n` runs by default, FUZZ_RUNS when set. */
export function fuzzParams<T>(n: number): fc.Parameters<T> {
  const env = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(env) && env > 0 ? env : n,
    ...(Number.isInteger(seed) ? { seed } : {}),
  };
}

/** A vitest timeout for a property of `n` default runs: generous, and longer with FUZZ_RUNS. */
export function fuzzTimeout(n: number, msPerRun = 5): number {
  const env = Number(process.env.FUZZ_RUNS);
  const runs = Number.isInteger(env) && env > 0 ? env : n;
  return Math.max(60_000, runs * msPerRun * 4);
}
