// The containers probe's view (see ViewSpec): its rows in the order the user sorted them, their
// ids (the cgroup's), the text filter, the overview's and the status line's words. The columns
// and the sort keys are here too, pure, so that the pane (src/ui/components/ContainersPane.tsx)
// and its tests share them. Its data is src/probes/containers-spec.ts.
import { fmtUs } from '../model/format.js';
import { sortContainerRows, type ContainerRow, type ContainersSample } from '../probes/containers-spec.js';
import { sortBy, type SortValue } from './sort.js';
import type { SortKey, ViewSpec } from './view.js';

/** The table's columns a sort can use (< > F6 I, a click on the header): header titles. */
export const CONTAINERS_TABLE_SORT: Readonly<Record<string, (r: ContainerRow) => SortValue>> = {
  NAME: (r) => r.cgroup.name,
  CPU: (r) => r.cpu_pct,
  'RQ P50': (r) => r.runq_p50_us,
  'RQ P99': (r) => r.runq_p99_us,
  WAITS: (r) => r.runq_count,
  'OFF MAX': (r) => r.offcpu_max_us,
  BY: (r) => r.offcpu_max_comm,
  THROTL: (r) => r.throttled_us,
  'PSI C/M/I': (r) => r.pressure.cpu,
  'MEM/LIMIT': (r) => r.memory_bytes,
  'EVENTS/S': (r) => Object.values(r.events_per_s ?? {}).reduce((a, b) => a + b, 0),
};
/** Before the user picks a sort: the probe's own order (--containers-sort, `s` in the pane). */
export const CONTAINERS_TABLE_SORT_INITIAL: SortKey = { column: 'RQ P99', descending: true };

/**
 * The rows in the pane's order: the probe keeps at most CONTAINERS_ROWS_MAX rows by its
 * --containers-sort column (`s`); the screen's sort (< > F6 I) orders what it kept.
 */
export function containerRows(s: ContainersSample, sort?: SortKey): ContainerRow[] {
  return sort ? sortBy(s.rows, sort, CONTAINERS_TABLE_SORT) : s.rows;
}

export const containerRowId = (r: ContainerRow): string => String(r.cgroup.id);

/** What --cgroup (and Enter on a row) selects for a row: its path, else its name. */
export function containerFilterValue(r: ContainerRow): string {
  return r.cgroup.path ?? r.cgroup.name;
}

/** The row whose run-queue p99 is the longest. */
export function worstContainer(s: ContainersSample): ContainerRow | null {
  return sortContainerRows(s.rows, 'p99')[0] ?? null;
}

export const containersView: ViewSpec<ContainersSample> = {
  title: 'Containers and services',
  tab: 'containers',
  key: '9',
  grid: { column: 1, row: 5, weight: 3 },
  presets: ['latency'],
  sortColumns: Object.keys(CONTAINERS_TABLE_SORT),
  sortInitial: CONTAINERS_TABLE_SORT_INITIAL,
  sortSample: (s, sort) => ({ ...s, rows: containerRows(s, sort) }),
  rowIds: (s) => s.rows.map(containerRowId),
  cgroupOfRow: (s, id) => {
    const r = s?.rows.find((x) => containerRowId(x) === id);
    return r ? containerFilterValue(r) : null;
  },
  filterText: (s, text) => ({ ...s, rows: s.rows.filter((r) => r.cgroup.name.includes(text) || (r.cgroup.path ?? '').includes(text)) }),
  summary(s) {
    const w = worstContainer(s);
    return w ? `${s.rows.length} cgroups, p99 ${fmtUs(w.runq_p99_us)} ${w.cgroup.name}` : 'no cgroup ran';
  },
  overview(s) {
    const w = worstContainer(s);
    if (!w) return ['no cgroup ran'];
    const thr = sortContainerRows(
      s.rows.filter((r) => (r.throttled ?? 0) > 0),
      'throttled',
    )[0];
    return [
      `${s.rows.length} cgroups  worst run-queue p99 ${fmtUs(w.runq_p99_us)} ${w.cgroup.name}${thr ? `  throttled: ${thr.cgroup.name} ${fmtUs(thr.throttled_us)}` : ''}`,
    ];
  },
};
