// The proc probe's view (see ViewSpec): the counters pane's title and tab, the load averages in
// the header, the CPU and memory lines of the overview. Its data is src/probes/proc-spec.ts; its
// tab says `counters`, as its --json key does (docs/architecture.md says why the probe is `proc`).
import type { CountersSample, CpuPct, TopRow } from '../probes/proc/types.js';
import type { SortKey, ViewSpec } from './view.js';
import { sortBy, type SortValue } from './sort.js';

/** The top table's columns a sort can use (header titles), and the default: busiest first. */
export const TOP_SORT: Readonly<Record<string, (r: TopRow) => SortValue>> = {
  PID: (r) => r.pid,
  COMM: (r) => r.comm,
  '%CPU': (r) => r.cpu_pct,
  '%usr': (r) => r.usr,
  '%sys': (r) => r.system,
  CPU: (r) => r.cpu,
};
export const TOP_SORT_INITIAL: SortKey = { column: '%CPU', descending: true };

const pct = (c: CpuPct) => `${c.usr.toFixed(0)}/${c.sys.toFixed(0)}/${c.iowait.toFixed(0)}`;

function cpuKeys(s: CountersSample): string[] {
  return Object.keys(s.cpu)
    .filter((k) => k !== 'all')
    .sort((a, b) => Number(a) - Number(b));
}

export const procView: ViewSpec<CountersSample> = {
  title: 'Counters (/proc)',
  tab: 'counters',
  key: null,
  grid: { column: 1, row: 0, weight: 5 },
  presets: ['counters'],
  sortColumns: Object.keys(TOP_SORT),
  sortInitial: TOP_SORT_INITIAL,
  sortSample: (s, sort) => ({
    ...s,
    top: Array.isArray(s.top) ? sortBy(s.top, sort, TOP_SORT) : s.top,
    ...(Array.isArray(s.top_on_pinned) ? { top_on_pinned: sortBy(s.top_on_pinned, sort, TOP_SORT) } : {}),
  }),
  summary: (s) => `load ${s.load.load1.toFixed(2)}`,
  header: (s) => ({ load: [s.load.load1, s.load.load5, s.load.load15] }),
  overview(s, v) {
    // %usr/%sys/%iowait: all CPUs, then the pinned one or each CPU, as many as fit.
    let cpu = `cpu usr/sys/io all ${s.cpu.all ? pct(s.cpu.all) : '-'}`;
    for (const k of cpuKeys(s)) {
      if (v.pinned !== null && Number(k) !== v.pinned) continue;
      const part = `  ${k}: ${pct(s.cpu[k])}`;
      if (cpu.length + part.length > v.width) break;
      cpu += part;
    }
    const m = s.mem;
    const top = s.top[0];
    const busiest = top ? `  busiest ${top.comm}[${top.pid}] ${top.cpu_pct.toFixed(1)}%` : '';
    return [cpu, `mem used ${Math.round(m.used)}M avail ${Math.round(m.available)}M of ${Math.round(m.total)}M${busiest}`];
  },
};
