// The trace probe's data (see ProbeSpec; its view is src/views/trace.ts): any tracepoint the user
// names (--trace CATEGORY:NAME[:FIELD], or + in the screen), counted per interval by tracepoint
// and by (pid, comm), and for CATEGORY:NAME:FIELD a log2 histogram of that numeric field. The
// probe is trace.ts (bpf/trace.bpf.c); names, formats and checks are trace-events.ts.
import { histCount, histQuantile, histRange } from '../model/hist.js';
import { completions, hostEvents, resolveTargets, asProbeArgError } from './trace-events.js';
import type { JsonLine, ProbeArgs, ProbeSpec } from './types.js';
import type { PromExporter, PromSeries } from './prom.js';
import { arrayOf, checked, nullable, num, obj, optional, str } from './json-check.js';
import type { CgroupRef } from './cgroup/registry.js';

export interface TraceTask {
  /** Process id (tgid). */
  pid: number;
  /** The task's name when it hit the tracepoint (escaped). */
  comm: string;
  count: number;
  /** Its v2 cgroup (absent in recordings made before perfscope recorded it). */
  cgroup?: CgroupRef;
}

/** A log2 histogram of the field: bucket 0 is [0, 2), bucket k >= 1 is [2^k, 2^(k+1)), in the field's own unit. */
export interface TraceHist {
  /** "ns", "us", "ms", "bytes" when the field's name says so, else null. */
  unit: string | null;
  slots: number[];
  /** Values below zero (a signed field): in no bucket. */
  negative: number;
  count: number;
  p50: number | null;
  p99: number | null;
  /** Index of the highest non-empty bucket, or null. */
  max_bucket: number | null;
}

export interface TraceRow {
  /** "sched:sched_switch", or "syscalls:sys_enter_read:count" with a field; "u:c:malloc:arg1", "ur:c:read:lat", "usdt:python3.11:python:gc__start". */
  id: string;
  /** The event: a tracepoint, or a user-space probe's id without its value part ("u:c:malloc"). */
  tracepoint: string;
  /** The field, or a user-space probe's value ("arg1", "ret", "lat"), or null (a count only). */
  field: string | null;
  /** "tracepoint", "uprobe", "uretprobe" or "usdt" (absent in recordings made before user-space probes). */
  kind?: string;
  /** A user-space probe's file, as opened (through /proc/PID/root with -p). */
  path?: string;
  /** An IFUNC's implementation the probe is on (u:c:strlen -> the function glibc chose for this CPU). */
  ifunc?: string;
  /** A user-space probe's file was deleted or replaced since it was attached (the probe stays on the old one). */
  file?: 'deleted' | 'replaced';
  /** Hits in the interval (after -p, -c, -C). */
  count: number;
  /** count per second of the measured interval. */
  rate: number;
  /** The tasks with most hits, most first (at most TRACE_TOP_TASKS). */
  tasks: TraceTask[];
  /** Hits of the tasks not listed. */
  other_tasks: number;
  /** Hits with no (pid, comm) row (the kernel's table was full): in count, in no task. */
  task_lost: number;
  hist: TraceHist | null;
  /** Program runs from this attachment (filtered out or not), and their share of the BPF run time. */
  runs: number;
  run_ns: number | null;
  ns_per_run: number | null;
}

export interface TraceSample {
  /** Every attached tracepoint, most hits first. */
  tracepoints: TraceRow[];
  /**
   * Functions of a wildcard (u:c:str*) the kernel would not put a uprobe on (e.g. ENOTSUPP: an
   * AVX2 implementation whose first instruction its decoder refuses), with why; absent when none.
   */
  refused?: { id: string; why: string }[];
}

export const TRACE_TOP_TASKS = 20;

/** The sample as --json holds it (checked on replay). */
const TRACE_SCHEMA = obj({
  tracepoints: arrayOf(
    obj({
      id: str,
      tracepoint: str,
      field: nullable(str),
      kind: optional(str),
      path: optional(str),
      ifunc: optional(str),
      file: optional(str),
      count: num,
      rate: num,
      tasks: arrayOf(obj({ pid: num, comm: str, count: num })),
      other_tasks: num,
      task_lost: num,
      hist: nullable(
        obj({ unit: nullable(str), slots: arrayOf(num), negative: num, count: num, p50: nullable(num), p99: nullable(num), max_bucket: nullable(num) }),
      ),
      runs: num,
      run_ns: nullable(num),
      ns_per_run: nullable(num),
    }),
  ),
  refused: optional(arrayOf(obj({ id: str, why: str }))),
});

/** The rows in the order the pane shows them: most hits first, then by name. */
export function sortRows(rows: readonly TraceRow[]): TraceRow[] {
  return [...rows].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The histogram of an interval's bucket counts. */
export function traceHist(slots: number[], negative: number, unit: string | null): TraceHist {
  const q = (p: number) => {
    const v = histQuantile(slots, p);
    return v === null ? null : Math.round(v);
  };
  return { unit, slots, negative, count: histCount(slots), p50: q(0.5), p99: q(0.99), max_bucket: histRange(slots)?.hi ?? null };
}

/** Prometheus: each tracepoint's hits, cumulative since the sink started. */
function traceExporter(): PromExporter<TraceSample> {
  const totals = new Map<string, { tracepoint: string; field: string | null; count: number }>();
  return {
    add(s) {
      if (!s) return;
      for (const r of s.tracepoints) {
        const t = totals.get(r.id) ?? { tracepoint: r.tracepoint, field: r.field, count: 0 };
        t.count += r.count;
        totals.set(r.id, t);
      }
    },
    families() {
      if (totals.size === 0) return [];
      const series: PromSeries[] = [...totals.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, t]) => ({ labels: t.field ? { tracepoint: t.tracepoint, field: t.field } : { tracepoint: t.tracepoint }, value: t.count }) as PromSeries);
      return [
        {
          name: 'perfscope_tracepoint_hits',
          type: 'counter',
          help: 'Hits of each tracepoint attached with --trace (after -p, -c, -C), since perfscope started (label field: the attachment that also histograms that field).',
          series,
        },
      ];
    },
  };
}

const traceArgs: ProbeArgs = {
  flag: 'trace',
  metavar: 'CAT:NAME[:FIELD] | u:LIB:FUNC[:argN] | ur:LIB:FUNC[:ret|:lat] | usdt:PATH:PROV:NAME[:argN]',
  help: 'count a tracepoint (wildcards: sched:*), a user-space function (u:c:malloc:arg1, ur:c:read:lat) or USDT probe, and histogram a field, argument, return value or latency (repeatable)',
  bench: ['sched:sched_switch'],
  resolve: (values, ctx) => asProbeArgError(() => resolveTargets(hostEvents(), values, ctx?.pid ?? null).map((t) => t.id)),
  complete: (text) => {
    try {
      return completions(hostEvents(), text);
    } catch {
      return [];
    }
  },
  rowValues: (s) => {
    const rows = (s as TraceSample | null)?.tracepoints;
    // In the order given: the screen's sample is in its table's order (the trace view's sortSample).
    return Array.isArray(rows) ? rows.map((r) => r.id) : [];
  },
};

export const trace: ProbeSpec<'trace', TraceSample, never> = {
  name: 'trace',
  kind: 'aggregate',
  bpf: true,
  args: traceArgs,
  toJson: (s) => ({ trace: s }),
  fromJson: (line: JsonLine) => checked<TraceSample>(line.trace, TRACE_SCHEMA, 'trace'),
  prometheus: traceExporter,
};
