// The containers probe's view (see ViewSpec): its rows in the order the user sorted them, their
// ids (the cgroup's), the text filter, the overview's and the status line's words. The columns
// and the sort keys are here too, pure, so that the pane (src/ui/components/ContainersPane.tsx)
// and its tests share them. Its data is src/probes/containers-spec.ts.
import { fmtUs } from '../model/format.js';
import { sortContainerRows, type ContainerRow, type ContainersSample } from '../probes/containers-spec.js';
import type { ViewSpec } from './view.js';

/** The rows in the pane's order: the probe's (its --containers-sort column, `s` in the pane). */
export function containerRows(s: ContainersSample): ContainerRow[] {
  return s.rows;
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
  rowIds: (s) => containerRows(s).map(containerRowId),
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
