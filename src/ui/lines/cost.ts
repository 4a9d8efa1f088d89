// A probe's BPF cost and losses for its pane title: "712ns/run 2.5K runs/s lost 3" (program
// runs, from the kernel's BPF run statistics: for exec, every syscall entry and exit counts).
import type { ProbeHealth } from '../../probes/types.js';
import { fmtCount } from '../../model/format.js';
import { eventsPerSecond } from './status.js';

export function costInfo(h: ProbeHealth, intervalS: number): string {
  if (h.state !== 'running' || !h.cost) return '';
  const parts: string[] = [];
  if (h.cost.ns_per_event != null) parts.push(`${Math.round(h.cost.ns_per_event)}ns/run`);
  const eps = eventsPerSecond(h, intervalS);
  if (eps !== null) parts.push(`${fmtCount(eps)} runs/s`);
  if (h.cost.lost) parts.push(`lost ${fmtCount(h.cost.lost)}`);
  return parts.join(' ');
}
