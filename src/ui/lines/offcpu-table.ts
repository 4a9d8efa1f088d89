// The off-CPU pane as text: for the pinned CPU one table sorted by max_us; for all CPUs the
// same table CPU by CPU (each CPU's rows sorted by max_us, the CPU shown on its first row),
// with the rows shared fairly between CPUs. Idle tasks (pid 0) only when asked for.
import type { OffcpuRow, OffcpuSample } from '../../probes/offcpu-spec.js';
import { offcpuRowId, offcpuRowOrder } from '../../views/offcpu.js';
import type { SortKey } from '../../views/view.js';
import { fmtCount, fmtUs } from '../../model/format.js';
import { markSorted, moreText, renderTable, type Column } from './table.js';

interface Row extends OffcpuRow {
  /** Show the CPU number (first row of its CPU). */
  first: boolean;
}

const COLUMNS: readonly Column<Row>[] = [
  { title: 'CPU', width: 3, align: 'right', priority: 0, get: (r) => (r.first ? String(r.cpu) : '') },
  { title: 'PID', width: 7, align: 'right', priority: 0, get: (r) => String(r.pid) },
  { title: 'TGID', width: 7, align: 'right', priority: 4, get: (r) => String(r.tgid) },
  { title: 'COMM', width: 15, priority: 0, get: (r) => r.comm },
  { title: 'MAX', width: 8, align: 'right', priority: 0, get: (r) => fmtUs(r.max_us) },
  { title: 'TOTAL', width: 8, align: 'right', priority: 1, get: (r) => fmtUs(r.total_us) },
  { title: 'RET', width: 5, align: 'right', priority: 2, get: (r) => fmtCount(r.returns) },
  { title: 'PRMPT', width: 5, align: 'right', priority: 3, get: (r) => fmtCount(r.preempted) },
  { title: 'PREEMPTED BY', width: 12, priority: 2, grow: true, get: (r) => r.preempted_by ?? '' },
];

export interface OffcpuTableOptions {
  readonly pinned: number | null;
  readonly showIdle: boolean;
  readonly width: number;
  /** Rows available for table rows (the header line excluded). */
  readonly height: number;
  /** The selected row's id (offcpuRowId), kept in view; none when undefined. */
  readonly selected?: string;
  /** The sort (default: longest first), marked in the header. */
  readonly sort?: SortKey;
}

export interface OffcpuTable {
  readonly header: string;
  readonly rows: string[];
  /** Rows of the interval in the view (before cutting to the height). */
  readonly total: number;
  readonly hidden: number;
  /** Index in `rows` of the selected row, or -1. */
  readonly selectedRow: number;
}

export function offcpuTable(s: OffcpuSample, o: OffcpuTableOptions): OffcpuTable {
  const all = offcpuRowOrder(s, o.pinned, o.showIdle, o.sort);
  const byCpu = new Map<number, OffcpuRow[]>();
  for (const r of all) {
    const l = byCpu.get(r.cpu) ?? [];
    l.push(r);
    byCpu.set(r.cpu, l);
  }
  const cpus = [...byCpu.keys()].sort((a, b) => a - b);
  // Share the height: every CPU gets an equal share, leftovers go to the CPUs with more rows.
  // When not every row fits, the last line says how many are left out ("+N more").
  const cut = all.length > Math.max(0, o.height);
  const h = Math.max(0, o.height - (cut ? 1 : 0));
  const quota = new Map<number, number>(cpus.map((c) => [c, 0]));
  let left = h;
  for (let changed = true; left > 0 && changed; ) {
    changed = false;
    for (const c of cpus) {
      if (left > 0 && quota.get(c)! < byCpu.get(c)!.length) {
        quota.set(c, quota.get(c)! + 1);
        left--;
        changed = true;
      }
    }
  }
  const rows: Row[] = [];
  let selectedRow = -1;
  for (const c of cpus) {
    const mine = byCpu.get(c)!;
    const q = quota.get(c)!;
    const shown = mine.slice(0, q);
    // A selected row past its CPU's share takes the share's last line.
    const sel = o.selected === undefined ? -1 : mine.findIndex((r) => offcpuRowId(r) === o.selected);
    if (sel >= q && q > 0) shown[q - 1] = mine[sel];
    shown.forEach((r, i) => {
      if (o.selected !== undefined && offcpuRowId(r) === o.selected) selectedRow = rows.length;
      rows.push({ ...r, first: i === 0 });
    });
  }
  const t = renderTable(markSorted(COLUMNS, o.sort), rows, o.width);
  const hidden = all.length - rows.length;
  const lines = hidden > 0 && o.height > 0 ? [...t.rows, moreText(hidden)] : t.rows;
  return { header: t.header, rows: lines, total: all.length, hidden, selectedRow };
}
