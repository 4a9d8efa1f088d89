// The isolation probe's data (see ProbeSpec; its view is src/views/isolation.ts): what disturbed one CPU
// set apart for a latency-critical thread — the tasks that ran there (the resident first, then
// every intruder: how often, how long, whom it displaced), the resident's longest absence and
// who kept it off, that CPU's interrupts and softirqs by source, and the host's network backlog
// and drops — per interval. The probe itself is isolation.ts (the scheduler object's isolation
// part and the /proc readers), its pure model isolation-model.ts.
import type { CgroupRef } from './cgroup/registry.js';
import type { Isolation } from './proc/isolation.js';
import type { JsonLine, ProbeSpec } from './types.js';
import type { PromExporter, PromFamily, PromSeries } from './prom.js';
import { arrayOf, bool, checked, nullable, num, numbers, obj, oneOf, optional, str } from './json-check.js';

/** What kind of task an intruder is, from its comm (kernel threads are named by the kernel). */
export type TaskKind = 'resident' | 'idle' | 'kworker' | 'ksoftirqd' | 'migration' | 'rcu' | 'irq' | 'timer' | 'kthread' | 'task';

export interface IsoTask {
  /** Thread id (0: the CPU's idle task, never listed in `tasks`). */
  pid: number;
  tgid: number;
  comm: string;
  kind: TaskKind;
  /** On-CPU time in the interval, us (0.1 us resolution). */
  on_us: number;
  /** Runs (switch-in to switch-out) that ended in the interval. */
  runs: number;
  /** The longest of them, us (the whole run, also its part in earlier intervals). */
  max_run_us: number;
  /** The task its runs displaced (the one on the CPU before it): the majority one, else the latest candidate; null if none ended. */
  displaced: { pid: number; comm: string } | null;
  /** It was on the CPU when the interval ended. */
  running: boolean;
  /** Its v2 cgroup (absent when not known, or in older recordings). */
  cgroup?: CgroupRef;
}

/** The resident's absences from the CPU that ended in the interval. */
export interface IsoAbsence {
  count: number;
  /** Longest one, us. */
  max_us: number;
  total_us: number;
  /** The task with the longest single run on the CPU during the longest absence (the idle task: it slept). */
  by_pid: number;
  by_comm: string;
  /** That absence began with a preemption (the resident was still runnable). */
  preempted: boolean;
}

/** One interrupt source, or one softirq type, on the CPU. */
export interface IsoRate {
  /** "LOC", "RES", "CAL", "24", or a softirq type ("TIMER", "NET_RX"). */
  name: string;
  /** /proc/interrupts' description ("Local timer interrupts", "IO-APIC 4-edge ttyS0"); "" for softirqs. Escaped. */
  desc: string;
  /** In the interval. */
  count: number;
  /** Per second. */
  rate: number;
}

/** Backlog and drops in the interval (counts; the pane divides by interval_s). */
export interface IsoNet {
  /** The CPU's line of /proc/net/softnet_stat, or null when it has none. */
  softnet: { processed: number; dropped: number; time_squeeze: number; backlog: number | null } | null;
  /** Host-wide, /proc/net/snmp and snmp6. */
  udp_rcvbuf_errors: number;
  udp_in_errors: number;
  udp6_rcvbuf_errors: number;
  udp6_in_errors: number;
  /** /proc/net/netstat TcpExt TCPBacklogDrop. */
  tcp_backlog_drop: number;
  /** /proc/net/dev, every interface: the drop columns. */
  nic_rx_drop: number;
  nic_tx_drop: number;
  /** Interfaces that dropped in the interval, most first (at most 8). */
  nic_drops: { iface: string; rx: number; tx: number }[];
}

export interface IsolationSample {
  /** The CPU watched: the pinned one, else the first isolated one, else null. */
  cpu: number | null;
  /** Why that CPU: the view is pinned to it, or it is the first isolated CPU. */
  source: 'pinned' | 'isolated' | null;
  /** How this host sets CPUs apart (isolcpus, nohz_full, cgroup v2 partitions). */
  isolated: Isolation;
  /** Seconds the task figures cover: from the previous boundary to this one (the probe's own clock). */
  span_s: number;
  /** The watched CPU is offline (hotplug) at the end of the interval: nothing ran there; no task figures. */
  offline?: boolean;
  /** The resident (most on-CPU time) first, then the intruders by on-CPU time; at most ISO_TASKS_MAX. */
  tasks: IsoTask[];
  /** Tasks that ran but are not listed, and their on-CPU time. */
  other_tasks: number;
  other_us: number;
  /** The CPU's idle time in the interval, us. */
  idle_us: number;
  /** The resident's absences, or null when none ended (or no resident yet). */
  resident_off: IsoAbsence | null;
  /** Interrupts on the CPU by source, most first (only those that fired). */
  irqs: IsoRate[];
  /** Softirqs on the CPU by type, most first (only those that ran). */
  softirqs: IsoRate[];
  /** Device IRQs whose smp_affinity_list lets them reach the CPU (at most 32; "all CPUs" ones too). */
  affine_irqs: { irq: number; name: string; cpus: string }[];
  net: IsoNet;
  /** Runs not counted because the kernel table was full. */
  overflow: number;
}

export const ISO_TASKS_MAX = 30;

/** The kind of a task by its comm (kernel thread names are the kernel's own). */
export function taskKind(pid: number, comm: string): TaskKind {
  if (pid === 0) return 'idle';
  if (comm.startsWith('kworker/')) return 'kworker';
  if (comm.startsWith('ksoftirqd/')) return 'ksoftirqd';
  if (comm.startsWith('migration/')) return 'migration';
  if (comm.startsWith('rcu') || comm.startsWith('rcuc/') || comm.startsWith('rcuop/')) return 'rcu';
  if (comm.startsWith('irq/') || comm.startsWith('irq_work/')) return 'irq';
  if (comm.startsWith('ktimers/') || comm.startsWith('ktimersoftd/') || comm.startsWith('watchdog/')) return 'timer';
  if (
    comm.startsWith('cpuhp/') ||
    comm.startsWith('kcompactd') ||
    comm.startsWith('kthreadd') ||
    comm.startsWith('khugepaged') ||
    comm.startsWith('kswapd') ||
    comm.startsWith('idle_inject/')
  )
    return 'kthread';
  return 'task';
}

/** The resident: the first task, when it has that kind. */
export function residentOf(s: IsolationSample): IsoTask | null {
  return s.tasks[0]?.kind === 'resident' ? s.tasks[0] : null;
}

/** Everything dropped or squeezed in the interval (the timeline's second line). */
export function dropsOf(n: IsoNet): number {
  return (n.softnet?.dropped ?? 0) + n.udp_rcvbuf_errors + n.udp6_rcvbuf_errors + n.tcp_backlog_drop + n.nic_rx_drop;
}

const RATES = arrayOf(obj({ name: str, desc: str, count: num, rate: num }));
const CPUS = arrayOf(num);

/** The sample as --json holds it (checked on replay). */
const ISOLATION_SCHEMA = obj({
  cpu: nullable(num),
  source: nullable(oneOf(['pinned', 'isolated'])),
  isolated: obj({
    cpus: CPUS,
    isolcpus: CPUS,
    nohz_full: CPUS,
    partitions: arrayOf(obj({ cgroup: str, mode: oneOf(['isolated', 'root']), cpus: CPUS })),
  }),
  span_s: num,
  offline: optional(bool),
  tasks: arrayOf(
    obj({
      pid: num,
      tgid: num,
      comm: str,
      kind: oneOf(['resident', 'idle', 'kworker', 'ksoftirqd', 'migration', 'rcu', 'irq', 'timer', 'kthread', 'task']),
      on_us: num,
      runs: num,
      max_run_us: num,
      displaced: nullable(obj({ pid: num, comm: str })),
      running: bool,
    }),
  ),
  other_tasks: num,
  other_us: num,
  idle_us: num,
  resident_off: nullable(obj({ count: num, max_us: num, total_us: num, by_pid: num, by_comm: str, preempted: bool })),
  irqs: RATES,
  softirqs: RATES,
  affine_irqs: arrayOf(obj({ irq: num, name: str, cpus: str })),
  net: obj({ softnet: nullable(obj({ processed: num, dropped: num, time_squeeze: num, backlog: nullable(num) })) }),
  overflow: num,
});
const ISO_NET = numbers('udp_rcvbuf_errors', 'udp_in_errors', 'udp6_rcvbuf_errors', 'udp6_in_errors', 'tcp_backlog_drop', 'nic_rx_drop', 'nic_tx_drop');
const ISO_NIC_DROPS = arrayOf(obj({ iface: str, rx: num, tx: num }));

function isolationFromJson(v: unknown): IsolationSample | null {
  const s = checked<IsolationSample>(v, ISOLATION_SCHEMA, 'isolation');
  if (s) {
    ISO_NET(s.net, 'isolation.net');
    ISO_NIC_DROPS(s.net.nic_drops, 'isolation.net.nic_drops');
  }
  return s;
}

/**
 * Prometheus: counters since the sink started (intruders' on-CPU time and runs, interrupts by
 * source, softirqs by type, softnet drops and squeezes, UDP receive-buffer errors), the
 * resident's longest absence as a gauge, all labelled with the watched CPU. Labels stay bounded:
 * device IRQs are one source ("device"), the others are the kernel's fixed names (LOC, RES, ...),
 * softirqs its ten types; no task label.
 */
function isolationExporter(): PromExporter<IsolationSample> {
  let last: IsolationSample | null = null;
  const intruderNs = new Map<string, number>();
  const intruderRuns = new Map<string, number>();
  const irqs = new Map<string, number>();
  const soft = new Map<string, number>();
  const dropped = new Map<string, number>();
  const squeeze = new Map<string, number>();
  let udpRcvbuf = 0;
  let tcpBacklog = 0;
  const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const series = (m: Map<string, number>, label?: string): PromSeries[] =>
    [...m.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, value]) => {
        const [cpu, rest] = k.split('\u0000');
        return { labels: label ? { cpu, [label]: rest } : { cpu }, value };
      });
  return {
    add(s) {
      last = s;
      if (!s || s.cpu === null) return;
      const cpu = String(s.cpu);
      for (const t of s.tasks) {
        if (t.kind === 'resident') continue;
        bump(intruderNs, cpu, Math.round(t.on_us * 1000));
        bump(intruderRuns, cpu, t.runs);
      }
      bump(intruderNs, cpu, Math.round(s.other_us * 1000));
      for (const r of s.irqs) bump(irqs, `${cpu}\u0000${/^\d+$/.test(r.name) ? 'device' : r.name}`, r.count);
      for (const r of s.softirqs) bump(soft, `${cpu}\u0000${r.name}`, r.count);
      bump(dropped, cpu, s.net.softnet?.dropped ?? 0);
      bump(squeeze, cpu, s.net.softnet?.time_squeeze ?? 0);
      udpRcvbuf += s.net.udp_rcvbuf_errors + s.net.udp6_rcvbuf_errors;
      tcpBacklog += s.net.tcp_backlog_drop;
    },
    families() {
      if (intruderNs.size === 0 && !last) return [];
      const out: PromFamily[] = [];
      const lastS = last as IsolationSample | null;
      const off = lastS && lastS.cpu !== null ? [{ labels: { cpu: String(lastS.cpu) }, value: (lastS.resident_off?.max_us ?? 0) / 1e6 }] : [];
      out.push({
        name: 'perfscope_isolation_resident_offcpu_max_seconds',
        type: 'gauge',
        help: "Longest absence of the watched CPU's resident (its longest on-CPU task) among those that ended in the last complete interval; 0 when none ended.",
        series: off,
      });
      out.push({
        name: 'perfscope_isolation_intruder_seconds',
        type: 'counter',
        help: 'On-CPU time of every task but the resident and the idle task on the watched CPU, since perfscope started.',
        series: series(new Map([...intruderNs].map(([k, v]) => [k, v / 1e9]))),
      });
      out.push({
        name: 'perfscope_isolation_intruder_runs',
        type: 'counter',
        help: 'Runs of those tasks on the watched CPU, since perfscope started.',
        series: series(intruderRuns),
      });
      out.push({
        name: 'perfscope_isolation_interrupts',
        type: 'counter',
        help: 'Interrupts on the watched CPU by source (/proc/interrupts; device IRQs together as "device"), since perfscope started.',
        series: series(irqs, 'source'),
      });
      out.push({
        name: 'perfscope_isolation_softirqs',
        type: 'counter',
        help: 'Softirqs run on the watched CPU by type (/proc/softirqs), since perfscope started.',
        series: series(soft, 'type'),
      });
      out.push({
        name: 'perfscope_isolation_softnet_dropped',
        type: 'counter',
        help: "Packets dropped because the watched CPU's backlog was full (/proc/net/softnet_stat), since perfscope started.",
        series: series(dropped),
      });
      out.push({
        name: 'perfscope_isolation_softnet_time_squeeze',
        type: 'counter',
        help: 'NAPI runs on the watched CPU that ran out of budget with work left (/proc/net/softnet_stat), since perfscope started.',
        series: series(squeeze),
      });
      out.push({
        name: 'perfscope_isolation_udp_rcvbuf_errors',
        type: 'counter',
        help: "UDP and UDP6 datagrams dropped because a socket's receive buffer was full (host-wide), since perfscope started.",
        series: [{ labels: {}, value: udpRcvbuf }],
      });
      out.push({
        name: 'perfscope_isolation_tcp_backlog_drops',
        type: 'counter',
        help: "TCP segments dropped because a socket's backlog was full (TCPBacklogDrop, host-wide), since perfscope started.",
        series: [{ labels: {}, value: tcpBacklog }],
      });
      return out;
    },
  };
}

/** "kworker/1:2 3× 120us" */

export const isolation: ProbeSpec<'isolation', IsolationSample, never> = {
  name: 'isolation',
  kind: 'aggregate',
  bpf: true,
  toJson: (s) => ({ isolation: s }),
  fromJson: (line: JsonLine) => isolationFromJson(line.isolation),
  prometheus: isolationExporter,
};
