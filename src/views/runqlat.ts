// The runqlat probe's view (see ViewSpec): the histogram shown (all CPUs or the pinned one), its
// statistics in words, the trend of its p99. Its data is src/probes/runqlat-spec.ts.
import { histCount, histQuantile, histRange, log2Bounds } from '../model/hist.js';
import { fmtCount, fmtUs } from '../model/format.js';
import type { RunqlatSample } from '../probes/runqlat-spec.js';
import type { ViewSpec } from './view.js';

/** The histogram the view shows: all CPUs, or the pinned one. */
export function shownSlots(s: RunqlatSample, pinned: number | null): number[] {
  return pinned === null ? s.all : (s.cpus[String(pinned)] ?? []);
}

export interface HistStats {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  /** Upper bound of the highest non-empty bucket (us), or null. */
  readonly maxBound: number | null;
}

export function histStats(slots: readonly number[]): HistStats {
  const r = histRange(slots);
  return { count: histCount(slots), p50: histQuantile(slots, 0.5), p99: histQuantile(slots, 0.99), maxBound: r ? log2Bounds(r.hi)[1] : null };
}

/** "n=96 p50=20us p99=1.72ms max≤2.05ms" */
export function statsText(st: HistStats): { n: string; p50: string; p99: string; max: string } {
  return { n: fmtCount(st.count), p50: fmtUs(st.p50), p99: fmtUs(st.p99), max: st.maxBound === null ? '-' : fmtUs(st.maxBound) };
}

export const runqlatView: ViewSpec<RunqlatSample> = {
  title: 'Run-queue latency',
  tab: 'runqlat',
  key: '2',
  grid: { column: 0, row: 1, weight: 3 },
  presets: ['latency'],
  // The p99 of every interval, for all CPUs ("all") and each CPU ("0", "1", ...).
  trend(s) {
    const p99: Record<string, number | null> = { all: histQuantile(s.all, 0.99) };
    for (const [cpu, slots] of Object.entries(s.cpus)) p99[cpu] = histQuantile(slots, 0.99);
    return p99;
  },
  summary: (s, v) => `p99 ${fmtUs(histStats(shownSlots(s, v.pinned)).p99)}`,
  overview(s, v) {
    const t = statsText(histStats(shownSlots(s, v.pinned)));
    return [`n=${t.n}  p50 ${t.p50}  p99 ${t.p99}  highest bucket ≤${t.max}`];
  },
};
