// The proc probe's data (the sysstat counters from /proc; see ProbeSpec); its view is
// src/views/proc.ts. Its --json key stays `counters`, the name scripts have read since the first
// release: the key says what the data is, the probe name where it comes from. The probe is
// proc.ts, its readers and model are in proc/.
import type { CountersSample } from './proc/types.js';
import type { JsonLine, ProbeSpec } from './types.js';
import type { PromExporter, PromFamily, PromOptions } from './prom.js';
import { arrayOf, checked, nullable, num, numbers, obj, optional, recordOf, str } from './json-check.js';

const TOP = arrayOf(obj({ pid: num, comm: str, usr: num, system: num, cpu_pct: num, cpu: num }));

/** The counters as --json holds them (checked on replay). */
const COUNTERS_SCHEMA = obj({
  interval_s: num,
  load: numbers('load1', 'load5', 'load15', 'running', 'blocked', 'tasks'),
  cpu: recordOf(numbers('usr', 'nice', 'sys', 'iowait', 'irq', 'soft', 'steal', 'guest', 'gnice', 'idle')),
  vmstat: obj({
    r: num,
    b: num,
    swpd: num,
    free: num,
    buff: num,
    cache: num,
    si: nullable(num),
    so: nullable(num),
    bi: nullable(num),
    bo: nullable(num),
    in: num,
    cs: num,
  }),
  mem: numbers('total', 'used', 'free', 'shared', 'buff_cache', 'available', 'swap_total', 'swap_used'),
  disks: recordOf(numbers('r_s', 'w_s', 'rkB_s', 'wkB_s', 'r_await', 'w_await', 'aqu_sz', 'util')),
  net: recordOf(numbers('rxpck_s', 'txpck_s', 'rxkB_s', 'txkB_s')),
  tcp: nullable(numbers('active_s', 'passive_s', 'iseg_s', 'oseg_s', 'atmptf_s', 'estres_s', 'retrans_s', 'isegerr_s', 'orsts_s')),
  top: TOP,
  pinned_cpu: optional(num),
  top_on_pinned: optional(TOP),
  top_lost: optional(num),
});

/**
 * Prometheus: by default only perfscope_cpu_busy_ratio (the share of all CPUs not idle in the
 * last interval: 1 - (idle + iowait) / 100 of the all-CPU line; the fleet view's CPU column);
 * the rest of /proc is node_exporter's to export. With --prom-node, a few figures
 * under node_exporter's own names. Gauges are the last interval's; the two counters are rebuilt
 * from the interval rates (rate x interval) and count from perfscope's start, not from boot, so
 * rate() and increase() agree with node_exporter's and the absolute value does not.
 */
function procExporter(o: PromOptions): PromExporter<CountersSample> {
  let last: CountersSample | null = null;
  let busy: number | null = null;
  let cs = 0;
  let intr = 0;
  const MiB = 1024 * 1024;
  return {
    add(s) {
      const all = s?.cpu.all;
      busy = all ? Math.min(1, Math.max(0, Math.round(1000 - (all.idle + all.iowait) * 10) / 1000)) : null;
      if (!o.node || !s) return;
      last = s;
      cs += Math.round(s.vmstat.cs * s.interval_s);
      intr += Math.round(s.vmstat.in * s.interval_s);
    },
    families() {
      const g = (name: string, help: string, value: number): PromFamily => ({ name, type: 'gauge', help, series: [{ labels: {}, value }] });
      const own =
        busy === null ? [] : [g('perfscope_cpu_busy_ratio', 'Share of all CPUs not idle (nor in iowait) in the last interval, 0-1 (0.001 resolution).', busy)];
      if (!last) return own;
      const c = (name: string, help: string, value: number): PromFamily => ({ name, type: 'counter', help, series: [{ labels: {}, value }] });
      return [
        ...own,
        g('node_load1', '1m load average.', last.load.load1),
        g('node_load5', '5m load average.', last.load.load5),
        g('node_load15', '15m load average.', last.load.load15),
        g('node_procs_running', 'Number of processes in runnable state (procs_running of /proc/stat).', last.load.running),
        g('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete (procs_blocked).', last.load.blocked),
        g('node_memory_MemTotal_bytes', 'Memory information field MemTotal_bytes (0.1 MiB resolution).', Math.round(last.mem.total * MiB)),
        g('node_memory_MemAvailable_bytes', 'Memory information field MemAvailable_bytes (0.1 MiB resolution).', Math.round(last.mem.available * MiB)),
        c('node_context_switches', 'Total number of context switches, since perfscope started (rebuilt from its interval rates).', cs),
        c('node_intr', 'Total number of interrupts serviced, since perfscope started (rebuilt from its interval rates).', intr),
      ];
    },
  };
}

export const proc: ProbeSpec<'proc', CountersSample, never> = {
  name: 'proc',
  kind: 'aggregate',
  bpf: false,
  toJson: (s) => ({ counters: s }),
  fromJson: (line: JsonLine) => checked<CountersSample>(line.counters, COUNTERS_SCHEMA, 'counters'),
  prometheus: procExporter,
};
