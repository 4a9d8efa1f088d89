// The containers pane as text: one row per cgroup in the sample's order (sorted by the screen's
// sort before it gets here), the columns that fit, the selected row kept in view, `+N more` when cut.
import type { ContainerRow, ContainersSample } from '../../probes/containers-spec.js';
import { containerRowId, containerRows } from '../../views/containers.js';
import { fmtCount, fmtUs } from '../../model/format.js';
import { markSorted, moreText, renderTable, type Column } from './table.js';
import type { SortKey } from '../../views/view.js';

const pctText = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}%`);

function bytesText(b: number | null): string {
  if (b === null) return '-';
  const u = ['B', 'K', 'M', 'G', 'T'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)}${u[i]}`;
}

const COLUMNS: readonly Column<ContainerRow>[] = [
  { title: 'NAME', width: 22, priority: 0, get: (r) => r.cgroup.name },
  { title: 'CPU', width: 5, align: 'right', priority: 0, get: (r) => pctText(r.cpu_pct) },
  { title: 'RQ P50', width: 7, align: 'right', priority: 2, get: (r) => fmtUs(r.runq_p50_us) },
  { title: 'RQ P99', width: 7, align: 'right', priority: 0, get: (r) => fmtUs(r.runq_p99_us) },
  { title: 'WAITS', width: 6, align: 'right', priority: 4, get: (r) => fmtCount(r.runq_count) },
  { title: 'OFF MAX', width: 7, align: 'right', priority: 1, get: (r) => fmtUs(r.offcpu_max_us) },
  { title: 'BY', width: 12, priority: 3, get: (r) => (r.offcpu_max_comm === null ? '' : `${r.offcpu_max_comm}`) },
  { title: 'THROTL', width: 7, align: 'right', priority: 1, get: (r) => (r.throttled === null ? '-' : r.throttled === 0 ? '0' : fmtUs(r.throttled_us)) },
  { title: 'PSI C/M/I', width: 14, priority: 2, get: (r) => [r.pressure.cpu, r.pressure.memory, r.pressure.io].map(pctText).join('/') },
  { title: 'MEM/LIMIT', width: 11, priority: 2, get: (r) => `${bytesText(r.memory_bytes)}/${r.memory_limit === null ? '-' : bytesText(r.memory_limit)}` },
  {
    title: 'EVENTS/S',
    width: 20,
    priority: 3,
    grow: true,
    get: (r) =>
      Object.entries(r.events_per_s ?? {})
        .map(([k, v]) => `${k} ${fmtCount(v)}`)
        .join(' '),
  },
];

export interface ContainersTable {
  readonly header: string;
  readonly rows: string[];
  readonly selectedRow: number;
  readonly hidden: number;
}

/** The table in `width` x `height` rows (the header excluded), scrolled to keep `selected` in view. */
export function containersTable(s: ContainersSample, width: number, height: number, selected?: string, sort?: SortKey): ContainersTable {
  const all = containerRows(s);
  const idx = selected === undefined ? -1 : all.findIndex((r) => containerRowId(r) === selected);
  const fits = Math.max(0, height);
  // Cut short: the last row says how many more (the selected row kept in view above it).
  const h = all.length > fits && fits > 0 ? fits - 1 : fits;
  const start = idx >= h ? idx - h + 1 : 0;
  const shown = all.slice(start, start + h);
  const t = renderTable(markSorted(COLUMNS, sort), shown, width);
  const hidden = all.length - shown.length;
  return { header: t.header, rows: hidden > 0 && fits > 0 ? [...t.rows, moreText(hidden)] : t.rows, selectedRow: idx < 0 ? -1 : idx - start, hidden };
}
