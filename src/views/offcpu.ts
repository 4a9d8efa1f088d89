// The offcpu probe's view (see ViewSpec): its pane's title, key and place, the order and ids of
// its rows, the overview's and the status line's words. Its data is src/probes/offcpu-spec.ts.
import { fmtUs } from '../model/format.js';
import type { OffcpuRow, OffcpuSample } from '../probes/offcpu-spec.js';
import type { SortKey, ViewContext, ViewSpec } from './view.js';
import { sortBy, type SortValue } from './sort.js';

/** The off-CPU table's columns a sort can use (header titles), and the default: longest first. */
export const OFFCPU_SORT: Readonly<Record<string, (r: OffcpuRow) => SortValue>> = {
  CPU: (r) => r.cpu,
  PID: (r) => r.pid,
  TGID: (r) => r.tgid,
  COMM: (r) => r.comm,
  MAX: (r) => r.max_us,
  TOTAL: (r) => r.total_us,
  RET: (r) => r.returns,
  PRMPT: (r) => r.preempted,
  'PREEMPTED BY': (r) => r.preempted_by ?? null,
};
export const OFFCPU_SORT_INITIAL: SortKey = { column: 'MAX', descending: true };

/**
 * The rows of the off-CPU pane in its order: CPU by CPU (unless sorted by another column's CPU),
 * each CPU's rows by the sort (longest first by default), then by PID.
 */
export function offcpuRowOrder(s: OffcpuSample, pinned: number | null, showIdle: boolean, sort: SortKey = OFFCPU_SORT_INITIAL): OffcpuRow[] {
  let all = showIdle ? [...s.rows, ...s.idle] : [...s.rows];
  if (pinned !== null) all = all.filter((r) => r.cpu === pinned);
  all.sort((a, b) => a.pid - b.pid);
  const sorted = sortBy(all, sort, OFFCPU_SORT);
  // The table is CPU by CPU: within each CPU, the sort's order (a CPU sort orders the CPUs).
  const dir = sort.column === 'CPU' && sort.descending ? -1 : 1;
  return sorted
    .map((r, i) => [r, i] as const)
    .sort((a, b) => dir * (a[0].cpu - b[0].cpu) || a[1] - b[1])
    .map(([r]) => r);
}

export const offcpuRowId = (r: OffcpuRow): string => `${r.cpu}:${r.pid}`;

/** The longest absence of each CPU (the pinned one only when pinned), longest first. */
export function worstPerCpu(s: OffcpuSample, pinned: number | null): OffcpuRow[] {
  const best = new Map<number, OffcpuRow>();
  for (const r of s.rows) {
    if (pinned !== null && r.cpu !== pinned) continue;
    const b = best.get(r.cpu);
    if (!b || r.max_us > b.max_us) best.set(r.cpu, r);
  }
  return [...best.values()].sort((a, b) => b.max_us - a.max_us || a.cpu - b.cpu);
}

export const offcpuView: ViewSpec<OffcpuSample> = {
  title: 'Off-CPU maxima',
  tab: 'offcpu',
  key: '1',
  grid: { column: 0, row: 0, weight: 4 },
  presets: ['latency'],
  rowIds: (s, v) => offcpuRowOrder(s, v.pinned, v.showIdle, v.sort).map(offcpuRowId),
  sortColumns: Object.keys(OFFCPU_SORT),
  sortInitial: OFFCPU_SORT_INITIAL,
  summary(s, v) {
    const w = worstPerCpu(s, v.pinned)[0];
    return w ? `max ${fmtUs(w.max_us)} ${w.comm}` : 'max -';
  },
  overview(s, v: ViewContext) {
    const worst = worstPerCpu(s, v.pinned);
    if (worst.length === 0) return ['no task went off-CPU'];
    const parts = worst.map((r) => `CPU${r.cpu} ${fmtUs(r.max_us)} ${r.comm}[${r.pid}]${r.preempted_by ? ` by ${r.preempted_by}` : ''}`);
    // As many CPUs as fit on two lines, worst first.
    const lines: string[] = [];
    let cur = 'worst ';
    for (const p of parts) {
      if (cur.length > 6 && cur.length + p.length + 2 > v.width) {
        lines.push(cur.trimEnd());
        if (lines.length === 2) return lines;
        cur = '      ';
      }
      cur += `${p}  `;
    }
    lines.push(cur.trimEnd());
    return lines.slice(0, 2);
  },
};
