// The proc probe (the sysstat counters from /proc) described to the rest of perfscope (see
// ProbeSpec). Its --json key stays `counters`, the name scripts have read since the first
// release: the key says what the data is, the probe name where it comes from. The probe is
// proc.ts, its readers and model are in proc/.
import type { CountersSample, CpuPct } from './proc/types.js';
import type { JsonLine, ProbeSpec } from './types.js';

const pct = (c: CpuPct) => `${c.usr.toFixed(0)}/${c.sys.toFixed(0)}/${c.iowait.toFixed(0)}`;

function cpuKeys(s: CountersSample): string[] {
  return Object.keys(s.cpu)
    .filter((k) => k !== 'all')
    .sort((a, b) => Number(a) - Number(b));
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
