// The containers probe's data (see ProbeSpec): one row per cgroup (a container, a service, a pod,
// any cgroup whose tasks ran) with what explains its latency: its tasks' run-queue waits (a log2
// histogram kept per cgroup in the kernel), its worst off-CPU time and who had it, its CPU use,
// CPU throttling, pressure stalls and memory against its limit. The probe is containers.ts (its
// kernel side bpf/containers.bpf.h, a part of the scheduler object); its view
// src/views/containers.ts; docs/containers.md says what each figure is.
import { log2Bounds } from '../model/hist.js';
import type { CgroupRef } from './cgroup/registry.js';
import type { PromExporter, PromSeries } from './prom.js';
import type { JsonLine, ProbeOption, ProbeSpec } from './types.js';
import { arrayOf, checked, nullable, num as isNum, obj, recordOf, str } from './json-check.js';

export interface ContainerRow {
  cgroup: CgroupRef;
  /** What the path is (describeCgroupPath): container, pod, service, scope, slice, cgroup, root. */
  kind: string;
  runtime: string | null;
  /** The container's full id, or null. */
  container_id: string | null;
  pod: { uid: string; qos: string } | null;
  /** CPU used in the interval, % of one CPU (cpu.stat usage_usec), null when unreadable. */
  cpu_pct: number | null;
  /** Run-queue waits of its tasks that ended in the interval: log2 us buckets, bucket k is [2^k, 2^(k+1)) us. */
  runq: number[];
  runq_count: number;
  /** Sum of those waits, us. */
  runq_sum_us: number;
  runq_p50_us: number | null;
  runq_p99_us: number | null;
  /** The longest off-CPU time of one of its threads that ended in the interval, and that thread. */
  offcpu_max_us: number | null;
  offcpu_max_pid: number | null;
  offcpu_max_comm: string | null;
  /** CFS periods in the interval, how many were throttled, and for how long (us); null: no such file. */
  periods: number | null;
  throttled: number | null;
  throttled_us: number | null;
  /** Share of the interval some of its tasks stalled (PSI "some"), %, by resource; null: no such file. */
  pressure: { cpu: number | null; memory: number | null; io: number | null };
  memory_bytes: number | null;
  /** Its memory limit, null for none. */
  memory_limit: number | null;
  /**
   * Its feed events per second, by feed: execs, opens and TCP connects (accepts are not counted),
   * from each feed's per-cgroup counts in the kernel; a feed that is off is absent.
   */
  events_per_s: Readonly<Record<string, number>>;
}

export interface ContainersSample {
  /** The cgroups whose tasks waited or came back in the interval, most waits first, at most CONTAINERS_ROWS_MAX. */
  rows: ContainerRow[];
  /** Cgroups with activity left out beyond CONTAINERS_ROWS_MAX. */
  more: number;
  /** Kernel events of cgroups that had no row (the per-cgroup map was full). */
  overflow: number;
}

/** The columns the pane can sort by (`s` steps through them), each largest first but the name. */
export const CONTAINER_SORTS = ['p99', 'cpu', 'p50', 'off_max', 'throttled', 'psi', 'memory', 'name'] as const;
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
    case 'off_max':
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

/** Rows by `by` (largest first; `name`: by name), then by name. */
export function sortContainerRows(rows: readonly ContainerRow[], by: ContainerSort = 'p99'): ContainerRow[] {
  return [...rows].sort((a, b) => (by === 'name' ? 0 : key(b, by) - key(a, by)) || a.cgroup.name.localeCompare(b.cgroup.name) || a.cgroup.id - b.cgroup.id);
}

/** --containers-sort: the column the rows are sorted by, an index of CONTAINER_SORTS (`s` in the pane steps through them). */
export const CONTAINERS_SORT: ProbeOption & { default: number } = {
  flag: 'containers-sort',
  kind: 'integer',
  metavar: 'N',
  help: `containers: sort the rows by column N (${CONTAINER_SORTS.map((c, i) => `${i} ${c}`).join(', ')}; default 0; s in the pane)`,
  default: 0,
  min: 0,
  max: CONTAINER_SORTS.length - 1,
  cycle: CONTAINER_SORTS.map((_c, i) => i),
  key: 's',
};

/** Rows a sample holds at most (the busiest by waits, then off-CPU time). */
export const CONTAINERS_ROWS_MAX = 64;
/** Distinct `container` label values Prometheus gets at most; the rest are summed under "other". */
export const CONTAINERS_PROM_MAX = 50;

/** What a replayed (untrusted) containers part must look like: every field the pane reads. */
const n = nullable(isNum);
const CONTAINERS_SCHEMA = obj({
  rows: arrayOf(
    obj({
      cgroup: obj({ id: isNum, path: nullable(str), name: str }),
      kind: str,
      runtime: nullable(str),
      container_id: nullable(str),
      pod: nullable(obj({ uid: str, qos: str })),
      cpu_pct: n,
      runq: arrayOf(isNum),
      runq_count: isNum,
      runq_sum_us: isNum,
      runq_p50_us: n,
      runq_p99_us: n,
      offcpu_max_us: n,
      offcpu_max_pid: n,
      offcpu_max_comm: nullable(str),
      periods: n,
      throttled: n,
      throttled_us: n,
      pressure: obj({ cpu: n, memory: n, io: n }),
      memory_bytes: n,
      memory_limit: n,
      events_per_s: recordOf(isNum),
    }),
  ),
  more: isNum,
  overflow: isNum,
});

/**
 * Prometheus: per container (label `container`: the row's name; at most CONTAINERS_PROM_MAX
 * values, the first seen; later ones are added to container="other"), a cumulative histogram of
 * run-queue waits in seconds and counters of throttled periods and throttled time.
 */
function containersExporter(): PromExporter<ContainersSample> {
  const perName = new Map<string, { slots: number[]; count: number; sumUs: number; thr: number; thrUs: number }>();
  let last: ContainersSample | null = null;
  const label = (name: string) => (perName.has(name) || perName.size < CONTAINERS_PROM_MAX ? name : 'other');
  return {
    add(s) {
      if (!s) return;
      last = s;
      for (const r of s.rows) {
        const name = label(r.cgroup.name);
        let c = perName.get(name);
        if (!c) perName.set(name, (c = { slots: [], count: 0, sumUs: 0, thr: 0, thrUs: 0 }));
        r.runq.forEach((v, k) => (c.slots[k] = (c.slots[k] ?? 0) + v));
        c.count += r.runq_count;
        c.sumUs += r.runq_sum_us;
        c.thr += r.throttled ?? 0;
        c.thrUs += r.throttled_us ?? 0;
      }
    },
    families() {
      if (perName.size === 0) return [];
      const hist: PromSeries[] = [];
      const thr: PromSeries[] = [];
      const thrS: PromSeries[] = [];
      for (const [container, c] of perName) {
        let cum = 0;
        for (let k = 0; k < c.slots.length - 1; k++) {
          cum += c.slots[k] ?? 0;
          hist.push({ suffix: '_bucket', labels: { container, le: String(log2Bounds(k)[1] / 1e6) }, value: cum });
        }
        hist.push({ suffix: '_bucket', labels: { container, le: '+Inf' }, value: c.count });
        hist.push({ suffix: '_sum', labels: { container }, value: c.sumUs / 1e6 });
        hist.push({ suffix: '_count', labels: { container }, value: c.count });
        thr.push({ labels: { container }, value: c.thr });
        thrS.push({ labels: { container }, value: c.thrUs / 1e6 });
      }
      const cpu: PromSeries[] = [];
      for (const r of last?.rows ?? []) if (r.cpu_pct !== null) cpu.push({ labels: { container: label(r.cgroup.name) }, value: r.cpu_pct / 100 });
      return [
        {
          name: 'perfscope_container_runqueue_latency_seconds',
          type: 'histogram',
          help: 'Time the tasks of a container or service waited for a CPU, since perfscope started (log2 buckets; per cgroup in the kernel; label values bounded: docs/prometheus.md).',
          series: hist,
        },
        {
          name: 'perfscope_container_throttled_periods',
          type: 'counter',
          help: 'CFS periods in which the cgroup was throttled (cpu.stat nr_throttled), since perfscope started.',
          series: thr,
        },
        {
          name: 'perfscope_container_throttled_seconds',
          type: 'counter',
          help: 'Time the cgroup was throttled (cpu.stat throttled_usec / throttled_time), since perfscope started.',
          series: thrS,
        },
        {
          name: 'perfscope_container_cpu_usage_ratio',
          type: 'gauge',
          help: 'CPU used by the cgroup in the last interval, in CPUs (cpu.stat usage_usec).',
          series: cpu,
        },
      ];
    },
  };
}

export const containers: ProbeSpec<'containers', ContainersSample, never> = {
  name: 'containers',
  kind: 'aggregate',
  bpf: true,
  options: [CONTAINERS_SORT],
  toJson: (s) => ({ containers: s }),
  fromJson: (line: JsonLine) => {
    return checked<ContainersSample>(line.containers, CONTAINERS_SCHEMA, 'containers');
  },
  prometheus: containersExporter,
};
