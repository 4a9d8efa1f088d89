// The offcpu probe's data (see ProbeSpec): its sample type, its --json codec, options, Prometheus
// and folded exports. The probe itself (kernel aggregation, generation flips) is offcpu.ts; its
// view (title, key, overview, row order) is src/views/offcpu.ts.
import type { JsonLine, ProbeOption, ProbeSpec } from './types.js';
import type { PromExporter, PromOptions, PromSeries } from './prom.js';
import type { OffStacks } from './offcpu-stacks.js';
import { arrayOf, checked, nullable, num, obj, optional, str, STACK_ROW_SHAPE } from './json-check.js';
import type { CgroupRef } from './cgroup/registry.js';

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
  /** Its v2 cgroup (absent in recordings made before perfscope recorded it). */
  cgroup?: CgroupRef;
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

/** Frame pointers only for the off-CPU stacks (no copy of the user stack at each switch-out, no CFI unwinding). */
export const OFFCPU_STACKS_FP: ProbeOption & { default: boolean } = {
  flag: 'offcpu-stacks-fp',
  kind: 'boolean',
  help: 'offcpu: off-CPU user stacks by frame pointer only (no stack copies, no CFI unwinding)',
  default: false,
};

// The parts as --json holds them (checked on replay).
const ROWS = arrayOf(obj({ cpu: num, pid: num, tgid: num, comm: str, max_us: num, total_us: num, returns: num, preempted: num, preempted_by: nullable(str) }));
const STACKS = obj({
  rows: arrayOf(obj({ ...STACK_ROW_SHAPE, total_us: num, max_us: num, count: num, preempted: num, preempted_by: nullable(str) })),
  returns: num,
  other: num,
  lost: num,
  symbolize_ms: num,
  unwound: optional(num),
  unwind_ms: optional(num),
  ucut: optional(num),
  error: optional(str),
});

const stacksOf = (v: unknown): OffStacks | null => checked<OffStacks>(v, STACKS, 'offcpu_stacks');
const rowsOf = (v: unknown, at: string): OffcpuRow[] | null => checked<OffcpuRow[]>(v, ROWS, at);

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
        const rows = byCpu
          .get(cpu)!
          .sort((a, b) => b.max_us - a.max_us || a.pid - b.pid)
          .slice(0, o.top);
        for (const r of rows) {
          // container: the task's cgroup name (one per task: no more series than without it).
          const labels = { cpu: String(cpu), pid: String(r.pid), comm: r.comm, ...(r.cgroup ? { container: r.cgroup.name } : {}) };
          max.push({ labels, value: Math.round(r.max_us * 1000) / 1e9 });
          total.push({ labels, value: Math.round(r.total_us * 1000) / 1e9 });
        }
      }
      return [
        {
          name: 'perfscope_offcpu_max_seconds',
          type: 'gauge',
          help: 'Longest time the task was off the CPU, among the absences that ended in the last complete interval; the top tasks of each CPU only (--prom-top).',
          series: max,
        },
        {
          name: 'perfscope_offcpu_seconds',
          type: 'gauge',
          help: "Sum of the task's off-CPU times that ended in the last complete interval on this CPU; the same tasks as perfscope_offcpu_max_seconds.",
          series: total,
        },
      ];
    },
  };
}

export const offcpu: ProbeSpec<'offcpu', OffcpuSample, never> = {
  name: 'offcpu',
  kind: 'aggregate',
  bpf: true,
  // Real tasks under "offcpu", the idle tasks (pid 0) kept apart under "offcpu_idle".
  toJson: (s) => ({ offcpu: s ? s.rows : null, offcpu_idle: s ? s.idle : null, offcpu_stacks: s?.stacks ?? null }),
  fromJson(line) {
    const rows = rowsOf(line.offcpu, 'offcpu');
    // The interval's overflow is reported as the probe's lost events.
    return rows ? { rows, idle: rowsOf(line.offcpu_idle, 'offcpu_idle') ?? [], overflow: lostOf(line), stacks: stacksOf(line.offcpu_stacks) } : null;
  },
  options: [OFFCPU_STACKS, OFFCPU_STACKS_FP],
  // As offcputime -f: microseconds off the CPU.
  folded: {
    default: false,
    unit: 'us',
    options: { [OFFCPU_STACKS.flag]: true },
    rows: (s) => (s.stacks?.rows ?? []).map((row) => ({ row, count: Math.round(row.total_us) })),
    pprof: {
      types: [
        ['switches', 'count'],
        ['offcpu', 'nanoseconds'],
      ],
      rows: (s) => (s.stacks?.rows ?? []).map((row) => ({ row, count: row.count, ns: Math.round(row.total_us * 1000) })),
    },
  },
  prometheus: offcpuExporter,
};
