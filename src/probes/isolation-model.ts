// The isolation probe's pure model: the kernel's rows of one interval (bpf/isolation.h iso_key,
// iso_val) and the watched CPU's state in, the task list out; two reads of the /proc files in,
// the CPU's interrupt and softirq rates and the network's backlog and drops out. No I/O here.
import { counterDelta } from '../model/counter.js';
import type { RawInterrupts, RawSoftnet } from './proc/readers.js';
import type { RawNetDev } from './proc/types.js';
import { ISO_TASKS_MAX, taskKind, type IsoAbsence, type IsoNet, type IsoRate, type IsoTask } from './isolation-spec.js';

/** One row of the kernel's table for one interval. */
export interface IsoEntry {
  pid: number;
  comm: string;
  tgid: number;
  onNs: number;
  runs: number;
  maxRunNs: number;
  /** 0 when no run ended (vote 0). */
  vote: number;
  dispPid: number;
  dispComm: string;
  offCount: number;
  offMaxNs: number;
  offTotalNs: number;
  offByPid: number;
  offByComm: string;
  offPreempted: boolean;
  /** Its v2 cgroup id (0 or absent: not known). */
  cgroup?: number;
}

/** On-CPU time user space adds to a row: the part of a run before the boundary, or of the run going on. */
export interface IsoExtra {
  pid: number;
  tgid: number;
  comm: string;
  ns: number;
  /** On the CPU at the end of the interval. */
  running: boolean;
  /** Whom it displaced (the state's), for a row that has no ended run. */
  dispPid: number;
  dispComm: string;
}

export function nsToUs(ns: number): number {
  return Math.round(ns / 100) / 10;
}

export interface IsoTasks {
  tasks: IsoTask[];
  other_tasks: number;
  other_us: number;
  idle_us: number;
  resident_off: IsoAbsence | null;
  /** Thread id of the resident (0: none). */
  resident: number;
}

/**
 * The interval's task list: the kernel's rows plus what user space adds (extras), the idle task
 * apart, the resident (most on-CPU time) first, then the others by on-CPU time. `measured`: the
 * thread whose absences the kernel measured in this interval (its row holds them).
 */
export function buildTasks(entries: readonly IsoEntry[], extras: readonly IsoExtra[], measured: number, max = ISO_TASKS_MAX): IsoTasks {
  const rows = new Map<string, IsoEntry & { running: boolean }>();
  const key = (pid: number, comm: string) => `${pid}\u0000${comm}`;
  for (const e of entries) rows.set(key(e.pid, e.comm), { ...e, running: false });
  for (const x of extras) {
    // The state names the comm at switch-in; a row with the same thread takes it whatever its comm now.
    let r = rows.get(key(x.pid, x.comm)) ?? [...rows.values()].find((v) => v.pid === x.pid);
    if (!r) {
      r = {
        pid: x.pid,
        comm: x.comm,
        tgid: x.tgid,
        onNs: 0,
        runs: 0,
        maxRunNs: 0,
        vote: 0,
        dispPid: x.dispPid,
        dispComm: x.dispComm,
        offCount: 0,
        offMaxNs: 0,
        offTotalNs: 0,
        offByPid: 0,
        offByComm: '',
        offPreempted: false,
        running: false,
      };
      rows.set(key(x.pid, x.comm), r);
    }
    r.onNs += x.ns;
    if (x.running) {
      r.running = true;
      if (r.vote === 0 && r.runs === 0) {
        r.dispPid = x.dispPid;
        r.dispComm = x.dispComm;
      }
    }
  }
  let idleNs = 0;
  const real: (IsoEntry & { running: boolean })[] = [];
  for (const r of rows.values()) {
    if (r.pid === 0) idleNs += r.onNs;
    else if (r.onNs > 0 || r.runs > 0) real.push(r);
  }
  real.sort((a, b) => b.onNs - a.onNs || b.runs - a.runs || a.pid - b.pid);
  const resident = real[0]?.pid ?? 0;
  // Absences: the measured thread's row; any other row with some (the resident just changed) after it.
  const withOff = [...rows.values()]
    .filter((r) => r.offCount > 0)
    .sort((a, b) => Number(b.pid === measured) - Number(a.pid === measured) || b.offMaxNs - a.offMaxNs);
  const o = withOff[0];
  const resident_off: IsoAbsence | null = o
    ? { count: o.offCount, max_us: nsToUs(o.offMaxNs), total_us: nsToUs(o.offTotalNs), by_pid: o.offByPid, by_comm: o.offByComm, preempted: o.offPreempted }
    : null;
  const toTask = (r: IsoEntry & { running: boolean }, i: number): IsoTask => ({
    pid: r.pid,
    tgid: r.tgid,
    comm: r.comm,
    kind: i === 0 ? 'resident' : taskKind(r.pid, r.comm),
    on_us: nsToUs(r.onNs),
    runs: r.runs,
    max_run_us: nsToUs(r.maxRunNs),
    displaced: r.runs > 0 || r.running ? { pid: r.dispPid, comm: r.dispPid === 0 ? 'idle' : r.dispComm } : null,
    running: r.running,
  });
  const listed = real.slice(0, max);
  const rest = real.slice(max);
  return {
    tasks: listed.map(toTask),
    other_tasks: rest.length,
    other_us: nsToUs(rest.reduce((a, r) => a + r.onNs, 0)),
    idle_us: nsToUs(idleNs),
    resident_off,
    resident,
  };
}

/** What the probe reads from /proc each interval. */
export interface IsoProcRaw {
  tNs: bigint;
  interrupts: RawInterrupts | null;
  softirqs: RawInterrupts | null;
  softnet: Map<number, RawSoftnet>;
  snmp: Map<string, Record<string, number>>;
  snmp6: Record<string, number> | null;
  netstat: Map<string, Record<string, number>>;
  netdev: Map<string, RawNetDev>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** The CPU's column of two reads of /proc/interrupts (or softirqs) as counts and rates, most first, non-zero only. */
export function cpuRates(cur: RawInterrupts | null, prev: RawInterrupts | null, cpu: number, elapsedS: number): IsoRate[] {
  if (!cur || !prev) return [];
  const col = cur.cpus.indexOf(cpu);
  const pcol = prev.cpus.indexOf(cpu);
  if (col < 0 || pcol < 0) return [];
  const before = new Map(prev.rows.map((r) => [r.irq, r.counts[pcol] ?? 0]));
  const out: IsoRate[] = [];
  for (const r of cur.rows) {
    const p = before.get(r.irq);
    if (p === undefined) continue;
    const count = counterDelta(r.counts[col] ?? 0, p);
    if (count > 0) out.push({ name: r.irq, desc: r.desc, count, rate: elapsedS > 0 ? r1(count / elapsedS) : 0 });
  }
  return out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

function field(m: Map<string, Record<string, number>>, sec: string, name: string): number {
  return m.get(sec)?.[name] ?? 0;
}

const d = (cur: number, prev: number) => counterDelta(cur, prev);

/** Backlog and drops between two reads: the CPU's softnet line, UDP/UDP6 and TCP backlog errors, NIC drops. */
export function netPart(cur: IsoProcRaw, prev: IsoProcRaw, cpu: number): IsoNet {
  const sn = cur.softnet.get(cpu);
  const sp = prev.softnet.get(cpu);
  const nic: { iface: string; rx: number; tx: number }[] = [];
  let rx = 0;
  let tx = 0;
  for (const [iface, n] of cur.netdev) {
    const p = prev.netdev.get(iface);
    if (!p) continue;
    const a = d(n.rxDrop, p.rxDrop);
    const b = d(n.txDrop, p.txDrop);
    rx += a;
    tx += b;
    if (a + b > 0) nic.push({ iface, rx: a, tx: b });
  }
  nic.sort((x, y) => y.rx + y.tx - (x.rx + x.tx) || (x.iface < y.iface ? -1 : 1));
  const s6 = (k: string) => d(cur.snmp6?.[k] ?? 0, prev.snmp6?.[k] ?? 0);
  return {
    softnet:
      sn && sp
        ? { processed: d(sn.processed, sp.processed), dropped: d(sn.dropped, sp.dropped), time_squeeze: d(sn.timeSqueeze, sp.timeSqueeze), backlog: sn.backlog }
        : null,
    udp_rcvbuf_errors: d(field(cur.snmp, 'Udp', 'RcvbufErrors'), field(prev.snmp, 'Udp', 'RcvbufErrors')),
    udp_in_errors: d(field(cur.snmp, 'Udp', 'InErrors'), field(prev.snmp, 'Udp', 'InErrors')),
    udp6_rcvbuf_errors: s6('Udp6RcvbufErrors'),
    udp6_in_errors: s6('Udp6InErrors'),
    tcp_backlog_drop: d(field(cur.netstat, 'TcpExt', 'TCPBacklogDrop'), field(prev.netstat, 'TcpExt', 'TCPBacklogDrop')),
    nic_rx_drop: rx,
    nic_tx_drop: tx,
    nic_drops: nic.slice(0, 8),
  };
}

/** The name an IRQ number has in /proc/interrupts (its handlers: the last words of its description). */
export function irqName(desc: string): string {
  const t = desc.split(' ').filter(Boolean);
  return t.length >= 3 ? t.slice(2).join(' ') : t.join(' ');
}
