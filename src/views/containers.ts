// The containers probe's view (see ViewSpec): its rows in the order the user sorted them, their
// ids (the cgroup's), the text filter, the overview's and the status line's words. The columns
// and the sort keys are here too, pure, so that the pane (src/ui/components/ContainersPane.tsx)
// and its tests share them. Its data is src/probes/containers-spec.ts.
import { fmtUs } from '../model/format.js';
import type { ContainerRow, ContainersSample } from '../probes/containers-spec.js';
import type { ViewSpec } from './view.js';

/** The columns the pane can sort by (`s` steps through them), each largest first but the name. */
export const CONTAINER_SORTS = ['p99', 'cpu', 'p50', 'offcpu', 'throttled', 'psi', 'memory', 'name'] as const;
export type ContainerSort = (typeof CONTAINER_SORTS)[number];

const num = (v: number | null | undefined) => v ?? -1;

function key(r: ContainerRow, by: ContainerSort): number {
  switch (by) {
    case 'p99':
      return num(r.runq_p99_us);
    case 'p50':
      return num(r.runq_p50_us);
    case 'cpu':
      return num(r.cpu_pct);
    case 'offcpu':
      return num(r.offcpu_max_us);
    case 'throttled':
      return num(r.throttled_us);
    case 'psi':
      return Math.max(num(r.pressure.cpu), num(r.pressure.memory), num(r.pressure.io));
    case 'memory':
      return num(r.memory_bytes);
    default:
      return 0;
  }
}

/** The rows in the pane's order: by `by`, then by name. */
export function containerRows(s: ContainersSample, by: ContainerSort = 'p99'): ContainerRow[] {
  return [...s.rows].sort((a, b) => (by === 'name' ? 0 : key(b, by) - key(a, by)) || a.cgroup.name.localeCompare(b.cgroup.name) || a.cgroup.id - b.cgroup.id);
}

export const containerRowId = (r: ContainerRow): string => String(r.cgroup.id);

/** What --cgroup (and Enter on a row) selects for a row: its path, else its name. */
export function containerFilterValue(r: ContainerRow): string {
  return r.cgroup.path ?? r.cgroup.name;
}

/** The row whose run-queue p99 is the longest. */
export function worstContainer(s: ContainersSample): ContainerRow | null {
  return containerRows(s, 'p99')[0] ?? null;
}

export const containersView: ViewSpec<ContainersSample> = {
  title: 'Containers and services',
  tab: 'containers',
  key: '9',
  grid: { column: 1, row: 5, weight: 3 },
  rowIds: (s) => containerRows(s).map(containerRowId),
  filterText: (s, text) => ({ ...s, rows: s.rows.filter((r) => r.cgroup.name.includes(text) || (r.cgroup.path ?? '').includes(text)) }),
  summary(s) {
    const w = worstContainer(s);
    return w ? `${s.rows.length} cgroups, p99 ${fmtUs(w.runq_p99_us)} ${w.cgroup.name}` : 'no cgroup ran';
  },
  overview(s) {
    const w = worstContainer(s);
    if (!w) return ['no cgroup ran'];
    const thr = s.rows.filter((r) => (r.throttled ?? 0) > 0).sort((a, b) => num(b.throttled_us) - num(a.throttled_us))[0];
    return [
      `${s.rows.length} cgroups  worst run-queue p99 ${fmtUs(w.runq_p99_us)} ${w.cgroup.name}${thr ? `  throttled: ${thr.cgroup.name} ${fmtUs(thr.throttled_us)}` : ''}`,
    ];
  },
};
