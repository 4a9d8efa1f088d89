// The isolation pane's lines (pure): the resident and its longest absence, the intruders as a
// table, idle and the rest, the CPU's interrupts and softirqs by rate, the network's backlog and
// drops, and a timeline of the last intervals. Untrusted text (comm, IRQ names) is escaped at
// decode time and again by the pane (safe()).
import { fmtUs } from '../../model/format.js';
import { residentOf, type IsolationSample, type IsoRate } from '../../probes/isolation-spec.js';
import { sparkline } from '../components/Sparkline.js';
import { shortMessage, type Line } from './lines.js';
import { safe } from '../safe.js';

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const rate = (x: number) => (x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, ''));

/** "LOC 250/s  RES 20/s  36 virtio1-req.0 20/s", as many as fit. */
function rates(head: string, rs: readonly IsoRate[], width: number, name: (r: IsoRate) => string): string {
  let out = head;
  for (const r of rs) {
    const part = `  ${name(r)} ${rate(r.rate)}/s`;
    if (out.length + part.length > width) break;
    out += part;
  }
  return rs.length ? out : `${head}  none`;
}

function deviceName(r: IsoRate): string {
  if (!/^\d+$/.test(r.name)) return safe(r.name);
  const t = r.desc.split(' ').filter(Boolean);
  return safe(`${r.name}:${t.length >= 3 ? t.slice(2).join(' ') : t.join(' ')}`);
}

/** The trend figures of the last intervals (one per interval, oldest first). */
export interface IsoTrend {
  readonly offMaxUs: readonly (number | null)[];
  readonly drops: readonly (number | null)[];
  readonly irqS: readonly (number | null)[];
}

export function isolationLines(s: IsolationSample, trend: IsoTrend, width: number, rows: number): Line[] {
  const out: Line[] = [];
  if (s.cpu === null) {
    // Shortened to its most useful part when narrow (the aside first, then at a word), never mid-word.
    out.push({
      text: shortMessage(
        s.isolated.cpus.length
          ? 'no CPU watched'
          : 'this host has no isolated CPU (isolcpus, nohz_full, cgroup partition): pin one with -C N or ] [ to watch it',
        width,
      ),
      kind: 'dim',
    });
    return out;
  }
  if (s.offline) {
    out.push({ text: `CPU ${s.cpu} is offline: nothing runs there until it comes back`, kind: 'dim' });
    return out;
  }
  const span = s.span_s > 0 ? s.span_s : 1;
  const pct = (us: number) => `${((us / 1e6 / span) * 100).toFixed(1)}%`;
  const r = residentOf(s);
  const off = s.resident_off;
  out.push({ text: `resident ${r ? `${safe(r.comm)}[${r.pid}] ${pct(r.on_us)} ${r.running ? 'running' : `${r.runs} runs`}` : '-'}`, kind: 'highlight' });
  out.push({
    text: off
      ? `longest absence ${fmtUs(off.max_us)}: ${off.by_pid === 0 ? 'it slept (idle)' : `kept off by ${safe(off.by_comm)}[${off.by_pid}]`}${off.preempted ? ', preempted' : ''}   ${off.count} absences ${fmtUs(off.total_us)}`
      : 'no absence of the resident ended in this interval',
    kind: off ? 'text' : 'dim',
  });
  const intr = s.tasks.filter((t) => t.kind !== 'resident');
  // The resident's two lines above, the table's heading, and below it: idle, irq, softirq, net, timeline.
  const tableRows = Math.max(0, rows - out.length - 1 - 5);
  out.push({
    text: `${pad('INTRUDER', 16)} ${lpad('PID', 7)} ${pad('KIND', 9)} ${lpad('ON', 8)} ${lpad('%', 6)} ${lpad('RUNS', 5)} ${lpad('LONGEST', 8)} DISPLACED`,
    kind: 'heading',
  });
  const shown = intr.slice(0, tableRows);
  for (const t of shown) {
    out.push({
      text: `${pad(safe(t.comm), 16)} ${lpad(String(t.pid), 7)} ${pad(t.kind, 9)} ${lpad(fmtUs(t.on_us), 8)} ${lpad(pct(t.on_us), 6)} ${lpad(String(t.runs), 5)} ${lpad(fmtUs(t.max_run_us), 8)} ${t.displaced ? safe(t.displaced.comm) : '-'}`,
      kind: 'text',
    });
  }
  if (intr.length === 0) out.push({ text: 'no intruder in this interval', kind: 'dim' });
  const more = intr.length - shown.length + s.other_tasks;
  out.push({
    text: `idle ${pct(s.idle_us)}${more > 0 ? `   ${more} more tasks` : ''}${s.overflow ? `   table full: ${s.overflow} runs not counted` : ''}`,
    kind: 'dim',
  });
  out.push({ text: rates('irq ', s.irqs, width, deviceName), kind: 'text' });
  out.push({ text: rates('soft', s.softirqs, width, (x) => x.name), kind: 'text' });
  const n = s.net;
  const ps = (x: number) => `${rate(x / span)}/s`;
  out.push({
    text: `net  softnet ${n.softnet ? `${ps(n.softnet.processed)} drop ${ps(n.softnet.dropped)} squeeze ${ps(n.softnet.time_squeeze)}` : '-'}  udp rcvbuf ${ps(n.udp_rcvbuf_errors + n.udp6_rcvbuf_errors)}  tcp backlog ${ps(n.tcp_backlog_drop)}  nic drop ${ps(n.nic_rx_drop + n.nic_tx_drop)}`,
    kind: 'text',
  });
  const w = Math.max(0, Math.min(60, Math.floor((width - 36) / 2)));
  const maxOff = trend.offMaxUs.slice(-w).reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  const maxDrop = trend.drops.slice(-w).reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  if (w >= 4) {
    out.push({
      text: `off max ${lpad(fmtUs(maxOff), 7)} ${sparkline(trend.offMaxUs, w)}   drops ${lpad(String(maxDrop), 5)} ${sparkline(trend.drops, w)}`,
      kind: 'text',
    });
  }
  return out.slice(0, rows);
}
