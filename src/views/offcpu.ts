// The offcpu probe's view (see ViewSpec): its pane's title, key and place, the order and ids of
// its rows, the overview's and the status line's words. Its data is src/probes/offcpu-spec.ts.
import { fmtUs } from '../model/format.js';
import type { OffcpuRow, OffcpuSample } from '../probes/offcpu-spec.js';
import type { ViewContext, ViewSpec } from './view.js';

/** The rows of the off-CPU pane in its order (CPU, then longest first), as ids: "cpu:pid". */
export function offcpuRowOrder(s: OffcpuSample, pinned: number | null, showIdle: boolean): OffcpuRow[] {
  let all = showIdle ? [...s.rows, ...s.idle] : [...s.rows];
  if (pinned !== null) all = all.filter((r) => r.cpu === pinned);
  return all.sort((a, b) => a.cpu - b.cpu || b.max_us - a.max_us || a.pid - b.pid);
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
  rowIds: (s, v) => offcpuRowOrder(s, v.pinned, v.showIdle).map(offcpuRowId),
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
