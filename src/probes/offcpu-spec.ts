// The offcpu probe described to the rest of perfscope (see ProbeSpec): its sample type and the
// pure functions the --json writer, replay, the status line and the overview need. The probe
// itself (kernel aggregation, generation flips) is in offcpu.ts, imported only by create().
import { fmtUs } from '../model/format.js';
import type { JsonLine, ProbeOption, PromExporter, PromOptions, PromSeries, ProbeSpec, ViewContext } from './types.js';
import type { OffStacks } from './offcpu-stacks.js';

export type { OffStackRow, OffStacks } from './offcpu-stacks.js';

export interface OffcpuRow {
  cpu: number;
  /** Thread id (0: the CPU's idle task). */
  pid: number;
  tgid: number;
  comm: string;
  /** Longest off-CPU time that ended in the interval, us (0.1 us resolution). */
  max_us: number;
  /** Sum of the off-CPU times that ended in the interval, us (0.1 us resolution). */
  total_us: number;
  /** Times the task came back on this CPU in the interval. */
  returns: number;
  /** How many of those absences began with an involuntary switch-out (still runnable). */
  preempted: number;
  /** Comm of the task that most recently took the CPU from it by preemption; null if never. */
  preempted_by: string | null;
}

export interface OffcpuSample {
  /** Real tasks, sorted by max_us descending, at most topPerCpu per CPU. */
  rows: OffcpuRow[];
  /** Idle tasks (pid 0, one per CPU), same shape and order; [] when hidden. */
  idle: OffcpuRow[];
  /** Returns not aggregated in the interval because the kernel hash was full. */
  overflow: number;
  /** Off-CPU time by stack (--offcpu-stacks), or null when stacks are not collected. */
  stacks?: OffStacks | null;
}

/** Off-CPU stacks: a second object, loaded only while wanted (its stack walks cost far more than the maxima). */
export const OFFCPU_STACKS: ProbeOption & { default: boolean } = {
  flag: 'offcpu-stacks',
  kind: 'boolean',
  help: 'offcpu: also off-CPU time by kernel and user stack (Enter on a row of the pane turns it on)',
  default: false,
  detail: true,
};

/** The rows of the off-CPU pane in its order (CPU, then longest first), as ids: "cpu:pid". */
export function offcpuRowOrder(s: OffcpuSample, pinned: number | null, showIdle: boolean): OffcpuRow[] {
  let all = showIdle ? [...s.rows, ...s.idle] : [...s.rows];
  if (pinned !== null) all = all.filter((r) => r.cpu === pinned);
  return all.sort((a, b) => a.cpu - b.cpu || b.max_us - a.max_us || a.pid - b.pid);
}

export const offcpuRowId = (r: OffcpuRow): string => `${r.cpu}:${r.pid}`;

function stacksOf(v: unknown): OffStacks | null {
  const s = v as OffStacks | null;
  return s && typeof s === 'object' && Array.isArray(s.rows) ? s : null;
}

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

function rowsOf(v: unknown): OffcpuRow[] | null {
  return Array.isArray(v) ? (v as OffcpuRow[]) : null;
}

function lostOf(line: JsonLine): number {
  const p = (line.probes as Record<string, { lost?: unknown } | undefined> | undefined)?.offcpu;
  return typeof p?.lost === 'number' ? p.lost : 0;
}

/**
 * Prometheus: gauges of the last complete interval, for the `top` tasks of each CPU with the
 * longest absence (idle tasks left out), so the series follow the tasks that matter and do not
 * pile up with short-lived ones: a task's series disappears when it leaves its CPU's top.
 */
function offcpuExporter(o: PromOptions): PromExporter<OffcpuSample> {
  let last: OffcpuSample | null = null;
  return {
    add(s) {
      last = s;
    },
    families() {
      if (!last) return [];
      const byCpu = new Map<number, OffcpuRow[]>();
      for (const r of last.rows) {
        const l = byCpu.get(r.cpu) ?? [];
        byCpu.set(r.cpu, l);
        // One series per (cpu, pid): the sample has one row each; keep the longest if not.
        if (!l.some((x) => x.pid === r.pid)) l.push(r);
      }
      const max: PromSeries[] = [];
      const total: PromSeries[] = [];
      for (const cpu of [...byCpu.keys()].sort((a, b) => a - b)) {
        const rows = byCpu.get(cpu)!.sort((a, b) => b.max_us - a.max_us || a.pid - b.pid).slice(0, o.top);
        for (const r of rows) {
          const labels = { cpu: String(cpu), pid: String(r.pid), comm: r.comm };
          max.push({ labels, value: Math.round(r.max_us * 1000) / 1e9 });
          total.push({ labels, value: Math.round(r.total_us * 1000) / 1e9 });
        }
      }
      return [
        { name: 'perfscope_offcpu_max_seconds', type: 'gauge', help: 'Longest time the task was off the CPU, among the absences that ended in the last complete interval; the top tasks of each CPU only (--prom-top).', series: max },
        { name: 'perfscope_offcpu_seconds', type: 'gauge', help: 'Sum of the task\'s off-CPU times that ended in the last complete interval on this CPU; the same tasks as perfscope_offcpu_max_seconds.', series: total },
      ];
    },
  };
}

export const offcpu: ProbeSpec<'offcpu', OffcpuSample, never> = {
  name: 'offcpu',
  title: 'Off-CPU maxima',
  tab: 'offcpu',
  key: '1',
  kind: 'aggregate',
  bpf: true,
  grid: { column: 0, row: 0, weight: 4 },
  create: async () => new (await import('./offcpu.js')).OffcpuProbe(),
  // Real tasks under "offcpu", the idle tasks (pid 0) kept apart under "offcpu_idle".
  toJson: (s) => ({ offcpu: s ? s.rows : null, offcpu_idle: s ? s.idle : null, offcpu_stacks: s?.stacks ?? null }),
  fromJson(line) {
    const rows = rowsOf(line.offcpu);
    // The interval's overflow is reported as the probe's lost events.
    return rows ? { rows, idle: rowsOf(line.offcpu_idle) ?? [], overflow: lostOf(line), stacks: stacksOf(line.offcpu_stacks) } : null;
  },
  options: [OFFCPU_STACKS],
  rowIds: (s, v) => offcpuRowOrder(s, v.pinned, v.showIdle).map(offcpuRowId),
  // As offcputime -f: microseconds off the CPU.
  folded: { default: false, unit: 'us', options: { [OFFCPU_STACKS.flag]: true }, rows: (s) => (s.stacks?.rows ?? []).map((row) => ({ row, count: Math.round(row.total_us) })) },
  prometheus: offcpuExporter,
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
