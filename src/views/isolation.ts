// The isolation probe's view (see ViewSpec): the resident and its intruders in words, the trend
// of the resident's longest absence, the drops and the interrupt rate. Its data is
// src/probes/isolation-spec.ts.
import { fmtUs } from '../model/format.js';
import { dropsOf, residentOf, type IsolationSample, type IsoTask } from '../probes/isolation-spec.js';
import type { ViewSpec } from './view.js';

function intruderText(t: IsoTask): string {
  return `${t.comm} ${t.runs}× ${fmtUs(t.on_us)}`;
}

export const isolationView: ViewSpec<IsolationSample> = {
  title: 'CPU isolation',
  tab: 'isolation',
  key: '0',
  grid: { column: 0, row: 3, weight: 6 },
  presets: ['latency'],
  // The timeline: the resident's longest absence, the drops and squeezes, the CPU's interrupt rate.
  trend(s): Record<string, number | null> {
    if (s.cpu === null) return {};
    const irq = s.irqs.reduce((a, r) => a + r.rate, 0);
    return { off_max_us: s.resident_off?.max_us ?? 0, drops: dropsOf(s.net), squeeze: s.net.softnet?.time_squeeze ?? 0, irq_s: Math.round(irq) };
  },
  summary(s) {
    if (s.cpu === null) return 'no CPU';
    const intr = s.tasks.filter((t) => t.kind !== 'resident').length + s.other_tasks;
    return `CPU${s.cpu} ${intr} intruders${s.resident_off ? ` off ${fmtUs(s.resident_off.max_us)}` : ''}`;
  },
  overview(s) {
    if (s.cpu === null) return [s.isolated.cpus.length ? 'no CPU watched' : 'no isolated CPU: pin one (-C N, ] [) to watch it'];
    const r = residentOf(s);
    const intr = s.tasks.filter((t) => t.kind !== 'resident');
    const off = s.resident_off ? `  off max ${fmtUs(s.resident_off.max_us)} by ${s.resident_off.by_comm}` : '';
    return [
      `CPU${s.cpu}${s.source === 'isolated' ? ' (isolated)' : ''} resident ${r ? `${r.comm}[${r.pid}] ${fmtUs(r.on_us)}` : '-'}${off}`,
      `intruders ${intr.length + s.other_tasks}${intr.length ? ': ' + intr.slice(0, 3).map(intruderText).join(', ') : ''}`,
    ];
  },
};
