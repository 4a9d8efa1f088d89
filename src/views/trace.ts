// The trace probe's view (see ViewSpec): tracepoint rows and field values in words, the status
// line's and the overview's lines. Its data is src/probes/trace-spec.ts.
import { log2Bounds } from '../model/hist.js';
import { bucketLabel, fmtCount } from '../model/format.js';
import { sortRows, type TraceRow, type TraceSample } from '../probes/trace-spec.js';
import type { SortKey, ViewSpec } from './view.js';
import { sortBy, type SortValue } from './sort.js';

/** The tracepoint table's columns a sort can use (header titles), and the default: most counted first. */
export const TRACE_SORT: Readonly<Record<string, (r: TraceRow) => SortValue>> = {
  RATE: (r) => r.rate,
  COUNT: (r) => r.count,
  TRACEPOINT: (r) => r.id,
  COST: (r) => r.ns_per_run,
};
export const TRACE_SORT_INITIAL: SortKey = { column: 'COUNT', descending: true };

/** The tracepoint rows in the sort's order (ties: the default order). */
export function traceRowOrder(rows: readonly TraceRow[], sort: SortKey = TRACE_SORT_INITIAL): TraceRow[] {
  return sortBy(sortRows(rows), sort, TRACE_SORT);
}

/** A field value in its unit, short: "4K" bytes, "1.5ms" for ns, plain otherwise. */
export function fmtValue(v: number, unit: string | null): string {
  if (unit === 'bytes') {
    if (v >= 1 << 30) return `${Math.round(v / (1 << 30))}G`;
    if (v >= 1 << 20) return `${Math.round(v / (1 << 20))}M`;
    if (v >= 1 << 10) return `${Math.round(v / (1 << 10))}K`;
    return String(v);
  }
  const scale: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6 };
  if (unit !== null && scale[unit] !== undefined) {
    const ns = v * scale[unit];
    if (ns < 1e3) return `${Math.round(ns)}ns`;
    if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 1 : 0)}us`;
    if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 1 : 0)}ms`;
    return `${(ns / 1e9).toFixed(1)}s`;
  }
  return fmtCount(v);
}

/** A bucket's label in the field's unit: "4K-8K" bytes, "1.0us-2.0us" for ns, "4096-8191" plain. */
export function traceBucketLabel(k: number, unit: string | null): string {
  if (unit === null) return bucketLabel(k);
  const [lo, hi] = log2Bounds(k);
  return `${fmtValue(lo, unit)}-${fmtValue(k === 0 ? 1 : hi, unit)}`;
}

function rateText(r: TraceRow): string {
  return `${fmtCount(r.rate)}/s`;
}

/** One line of a row for the overview: "sched:sched_switch 1.2K/s (bash 300/s)". */
export function rowLine(r: TraceRow): string {
  const top = r.tasks[0];
  const hist = r.hist?.count ? `  p50 ${fmtValue(r.hist.p50 ?? 0, r.hist.unit)} p99 ${fmtValue(r.hist.p99 ?? 0, r.hist.unit)}` : '';
  return `${r.id} ${rateText(r)}${top ? ` (${top.comm} ${top.pid})` : ''}${hist}`;
}

export const traceView: ViewSpec<TraceSample> = {
  title: 'Tracepoints',
  tab: 'trace',
  key: '7',
  grid: { column: 1, row: 3, weight: 2 },
  sortColumns: Object.keys(TRACE_SORT),
  sortInitial: TRACE_SORT_INITIAL,
  sortSample: (s, sort) => (Array.isArray(s?.tracepoints) ? { ...s, tracepoints: traceRowOrder(s.tracepoints, sort) } : s),
  summary: (s) => {
    const rows = sortRows(s.tracepoints);
    if (rows.length === 0) return 'none attached';
    return `${rows.length} tp, top ${rows[0].id} ${rateText(rows[0])}`;
  },
  overview(s) {
    const rows = sortRows(s.tracepoints);
    if (rows.length === 0) return ['no tracepoint attached (+ adds one, or --trace CAT:NAME)'];
    return rows.slice(0, 2).map(rowLine);
  },
};
