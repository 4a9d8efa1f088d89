// The bench's arithmetic, kept pure so it can be tested without timing anything: summaries of
// repeated runs (median, min, max), ratios that refuse a zero denominator, differences of the
// kernel's cumulative BPF run statistics, and rates that are 0 over an empty period.

/** Median, min and max of repeated runs; null fields when there was no run. */
export interface Summary {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

/** Median of the finite values (mean of the two middle ones for an even count), or null. */
export function median(values: readonly number[]): number | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Summary of the finite values among `values` (null and NaN entries are failed runs: skipped). */
export function summarize(values: readonly (number | null | undefined)[]): Summary {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: median(v), min: v[0], max: v[v.length - 1], n: v.length };
}

/** a / b, or null when either is missing or b is not a positive number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/**
 * Slowdown of a load under a configuration against the same load with nothing attached, from
 * interleaved runs (none, X, none, X, ...): the ratio of the medians, and the spread of the
 * ratios of each pair (X run / the "none" run just before it).
 */
export function pairedRatio(xs: readonly (number | null)[], bases: readonly (number | null)[]): Summary & { pairs: (number | null)[] } {
  const pairs = xs.map((x, i) => ratio(x, bases[i]));
  const s = summarize(pairs);
  return { ...s, median: ratio(summarize(xs).median, summarize(bases).median), pairs };
}

/** Cumulative run statistics of one or more BPF programs (kernel.bpf_stats_enabled counters). */
export interface RunStats {
  runTimeNs: number;
  runCnt: number;
}

export interface RunDelta {
  run_ns: number;
  run_cnt: number;
  /** run_ns / run_cnt, or null when the programs did not run. */
  ns_per_event: number | null;
}

/**
 * Difference of two readings of the cumulative counters. A program that vanished or was
 * reloaded in between shows as a counter going backwards: that difference is unknown (null
 * per event, zero counts) rather than negative.
 */
export function runDelta(before: RunStats, after: RunStats): RunDelta {
  const run_ns = after.runTimeNs - before.runTimeNs;
  const run_cnt = after.runCnt - before.runCnt;
  if (run_ns < 0 || run_cnt < 0) return { run_ns: 0, run_cnt: 0, ns_per_event: null };
  return { run_ns, run_cnt, ns_per_event: run_cnt > 0 ? run_ns / run_cnt : null };
}

/** Sum the counters of the programs whose ids are given (missing ids count as 0). */
export function sumRunStats(byId: ReadonlyMap<number, RunStats>, ids: Iterable<number>): RunStats {
  const s: RunStats = { runTimeNs: 0, runCnt: 0 };
  for (const id of ids) {
    const p = byId.get(id);
    if (!p) continue;
    s.runTimeNs += p.runTimeNs;
    s.runCnt += p.runCnt;
  }
  return s;
}

/** Per-program differences summed over the ids present in both readings (programs that came or went are left out). */
export function runDeltaByIds(before: ReadonlyMap<number, RunStats>, after: ReadonlyMap<number, RunStats>, ids: Iterable<number>): RunDelta {
  let run_ns = 0;
  let run_cnt = 0;
  for (const id of ids) {
    const a = before.get(id);
    const b = after.get(id);
    if (!a || !b) continue;
    const d = runDelta(a, b);
    run_ns += d.run_ns;
    run_cnt += d.run_cnt;
  }
  return { run_ns, run_cnt, ns_per_event: run_cnt > 0 ? run_ns / run_cnt : null };
}

/** count per second over `seconds`; 0 for an empty or negative period. */
export function perSecond(count: number, seconds: number): number {
  if (!(seconds > 0) || !Number.isFinite(count)) return 0;
  return count / seconds;
}

/** CPU use in percent of one CPU: clock ticks consumed over a wall-clock period; 0 for an empty period. */
export function cpuPercent(ticks: number, clkTck: number, seconds: number): number {
  if (!(clkTck > 0)) return 0;
  return perSecond(ticks / clkTck, seconds) * 100;
}

/** Rotate a list by `k` (round k of an interleaved schedule starts at a different configuration). */
export function rotate<T>(list: readonly T[], k: number): T[] {
  if (list.length === 0) return [];
  const s = ((k % list.length) + list.length) % list.length;
  return [...list.slice(s), ...list.slice(0, s)];
}
