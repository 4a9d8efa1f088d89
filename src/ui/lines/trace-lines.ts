// The trace pane's lines (pure, tested without rendering): one row per attached tracepoint
// (rate, count, name, its BPF cost per run, its top tasks), the selected row marked; under them
// the histogram of the selected row when it has a field; while + is open, the completions.
import { fmtCount } from '../../model/format.js';
import { histRange } from '../../model/hist.js';
import type { TraceRow, TraceSample } from '../../probes/trace-spec.js';
import { fmtValue, traceBucketLabel, traceRowOrder } from '../../views/trace.js';
import type { SortKey } from '../../views/view.js';

export interface TraceLines {
  /** The column header, the sort column marked. */
  readonly header: string;
  /** Row lines, top to bottom; `selected` marks the cursor's. */
  readonly rows: readonly { readonly text: string; readonly selected: boolean }[];
  /** The selected row's histogram heading and buckets, or null. */
  readonly hist: { readonly heading: string; readonly bars: readonly { label: string; value: number }[] } | null;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

function tasksText(r: TraceRow, n: number): string {
  const shown = r.tasks.slice(0, n).map((t) => `${t.comm}[${t.pid}] ${fmtCount(t.count)}`);
  const more = r.tasks.length - n + (r.other_tasks ? 1 : 0);
  return shown.join(', ') + (more > 0 && shown.length ? ', …' : '');
}

/** The lines for a pane `width` columns wide with `rows` lines of body. */
export function traceLines(s: TraceSample, cursor: number, width: number, bodyRows: number, sort?: SortKey): TraceLines {
  const sorted = traceRowOrder(s.tracepoints, sort);
  const rows = Math.max(1, bodyRows - 1); // the header's line
  const sel = sorted.length ? Math.min(cursor, sorted.length - 1) : -1;
  const selRow = sel >= 0 ? sorted[sel] : null;
  // The rows first; the selected row's histogram gets what is left (at most half of a tall pane).
  const wantHist = selRow?.hist ? selRow.hist.count > 0 : false;
  const rowBudget = Math.max(1, wantHist && rows >= 8 ? Math.min(sorted.length, rows - Math.min(Math.floor(rows / 2), 12)) : Math.min(sorted.length, rows));
  const left = rows - rowBudget - 1;
  const histRows = wantHist && left >= 2 ? left : 0;
  // Keep the selected row in view.
  const first = Math.max(0, Math.min(sel - rowBudget + 1, sorted.length - rowBudget));
  const visible = sorted.slice(Math.max(0, first), Math.max(0, first) + rowBudget);
  const idW = Math.min(44, Math.max(12, ...visible.map((r) => r.id.length)));
  const out = visible.map((r) => {
    const cost = r.ns_per_run !== null ? ` ${r.ns_per_run}ns` : '';
    const lost = (r.task_lost ? ` lost ${fmtCount(r.task_lost)}` : '') + (r.file ? ` file ${r.file}` : '');
    const text = `${pad(fmtCount(r.rate), 6)}/s ${pad(fmtCount(r.count), 6)}  ${r.id.padEnd(idW)}${cost}${lost}  ${tasksText(r, 3)}`;
    return { text: text.length > width ? text.slice(0, width - 1) + '…' : text, selected: r === selRow };
  });
  let hist: TraceLines['hist'] = null;
  if (selRow?.hist && histRows > 0) {
    const h = selRow.hist;
    const range = histRange(h.slots);
    const bars: { label: string; value: number }[] = [];
    if (range) {
      // The whole non-empty range when it fits, else its top (the tail matters most).
      const from = Math.max(range.lo, range.hi - (histRows - 1) + 1);
      for (let k = from; k <= range.hi; k++) bars.push({ label: traceBucketLabel(k, h.unit), value: h.slots[k] });
    }
    const neg = h.negative ? `  below 0: ${fmtCount(h.negative)}` : '';
    const heading = `${selRow.id}${h.unit ? ` (${h.unit})` : ''}: n=${fmtCount(h.count)} p50=${fmtValue(h.p50 ?? 0, h.unit)} p99=${fmtValue(h.p99 ?? 0, h.unit)}${neg}`;
    hist = { heading, bars };
  }
  const t = (title: string) => (sort?.column === title ? title + (sort.descending ? '▼' : '▲') : title);
  const header = `${pad(t('RATE'), 8)} ${pad(t('COUNT'), 6)}  ${t('TRACEPOINT').padEnd(idW)} ${t('COST')}  TASKS`;
  return { header: header.length > width ? header.slice(0, Math.max(0, width - 1)) + '…' : header, rows: out, hist };
}
