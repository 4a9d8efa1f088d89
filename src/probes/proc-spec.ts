// The proc probe (the sysstat counters from /proc) described to the rest of perfscope (see
// ProbeSpec). Its --json key stays `counters`, the name scripts have read since the first
// release: the key says what the data is, the probe name where it comes from. The probe is
// proc.ts, its readers and model are in proc/.
import type { CountersSample, CpuPct } from './proc/types.js';
import type { JsonLine, PromExporter, PromFamily, PromOptions, ProbeSpec } from './types.js';

const pct = (c: CpuPct) => `${c.usr.toFixed(0)}/${c.sys.toFixed(0)}/${c.iowait.toFixed(0)}`;

function cpuKeys(s: CountersSample): string[] {
  return Object.keys(s.cpu)
    .filter((k) => k !== 'all')
    .sort((a, b) => Number(a) - Number(b));
}

/**
 * Prometheus: nothing by default (node_exporter exports /proc); with --prom-node, a few figures
 * under node_exporter's own names. Gauges are the last interval's; the two counters are rebuilt
 * from the interval rates (rate x interval) and count from perfscope's start, not from boot, so
 * rate() and increase() agree with node_exporter's and the absolute value does not.
 */
function procExporter(o: PromOptions): PromExporter<CountersSample> {
  let last: CountersSample | null = null;
  let cs = 0;
  let intr = 0;
  const MiB = 1024 * 1024;
  return {
    add(s) {
      if (!o.node || !s) return;
      last = s;
      cs += Math.round(s.vmstat.cs * s.interval_s);
      intr += Math.round(s.vmstat.in * s.interval_s);
    },
    families() {
      if (!last) return [];
      const g = (name: string, help: string, value: number): PromFamily => ({ name, type: 'gauge', help, series: [{ labels: {}, value }] });
      const c = (name: string, help: string, value: number): PromFamily => ({ name, type: 'counter', help, series: [{ labels: {}, value }] });
      return [
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
  title: 'Counters (/proc)',
  tab: 'counters',
  key: null,
  kind: 'aggregate',
  bpf: false,
  grid: { column: 1, row: 0, weight: 5 },
  create: async () => new (await import('./proc.js')).ProcProbe(),
  toJson: (s) => ({ counters: s }),
  fromJson: (line: JsonLine) => {
    const v = line.counters as CountersSample | null | undefined;
    return v && typeof v === 'object' && v.load ? v : null;
  },
  prometheus: procExporter,
  summary: (s) => `load ${s.load.load1.toFixed(2)}`,
  header: (s) => ({ load: [s.load.load1, s.load.load5, s.load.load15] }),
  overview(s, v) {
    // %usr/%sys/%iowait: all CPUs, then the pinned one or each CPU, as many as fit.
    let cpu = `cpu usr/sys/io all ${s.cpu.all ? pct(s.cpu.all) : '-'}`;
    for (const k of cpuKeys(s)) {
      if (v.pinned !== null && Number(k) !== v.pinned) continue;
      const part = `  ${k}: ${pct(s.cpu[k])}`;
      if (cpu.length + part.length > v.width) break;
      cpu += part;
    }
    const m = s.mem;
    const top = s.top[0];
    const busiest = top ? `  busiest ${top.comm}[${top.pid}] ${top.cpu_pct.toFixed(1)}%` : '';
    return [cpu, `mem used ${Math.round(m.used)}M avail ${Math.round(m.available)}M of ${Math.round(m.total)}M${busiest}`];
  },
};
