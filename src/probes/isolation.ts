// isolation: what disturbed one CPU, per interval. The CPU is the pinned one, else the first
// isolated one (isolcpus, nohz_full, a cgroup v2 partition), else none.
//
// The kernel side is the isolation part of the scheduler object (bpf/isolation.bpf.h, included by
// bpf/sched.bpf.c, shared with the off-CPU and run-queue probes: src/probes/sched.ts): at each
// context switch on that CPU only, the run that ends goes into a row {pid, comm} of the
// generation being written (on-CPU ns, runs, longest run, whom its runs displaced), and the
// resident's absences are measured. Each tick sample():
//   1. takes the time T (CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns) and writes it as the
//      boundary `iso_cut`: from now on a run is charged from T at most;
//   2. flips the generations (Generations: once the flip returns nothing writes the old one) and
//      drains the old one;
//   3. reads the CPU's state twice (its `seq` must not move in between): the part before T of the
//      run that straddled T (the state keeps it) or of the run still going goes to this interval;
//   4. names the resident (most on-CPU time) and writes it for the next interval's absences;
//   5. reads /proc/interrupts, softirqs, net/softnet_stat, net/snmp, snmp6, netstat and dev, and
//      takes differences with the previous read.
import { BpfError } from '../bpf/error.js';
import { drainQuiet, Generations } from '../bpf/generations.js';
import { u32 } from '../bpf/map.js';
import type { BpfObject } from '../bpf/object.js';
import { u64 } from './bpf-probe.js';
import { cgroupOfPid, cgroupRef } from './cgroup/registry.js';
import { counterDelta } from '../model/counter.js';
import { formatCpuList } from '../model/format.js';
import { buildTasks, cpuRates, irqName, netPart, type IsoEntry, type IsoExtra, type IsoProcRaw } from './isolation-model.js';
import type { IsolationSample } from './isolation-spec.js';
import { isolatedOnline, NO_ISOLATION, readIrqAffinities, readIsolation, type Isolation } from './proc/isolation.js';
import { readInterrupts, readNetDev, readNetstat, readSnmp6, readSnmpAll, readSoftirqs, readSoftnet } from './proc/readers.js';
import { SCHED_PART_ISO, SchedProbe, type SchedControl } from './sched.js';
import { cString } from './strings.js';
import type { ProbeConfig } from './types.js';

/** Mirrors bpf/isolation.h (test/probes/layout.test.ts checks them against BTF). */
export const ISO_COMM_LEN = 16;
export const ISO_LAYOUT = {
  key: { struct: 'iso_key', size: 24, fields: { pid: 0, _pad: 4, comm: 8 } },
  val: {
    struct: 'iso_val',
    size: 104,
    fields: {
      on_ns: 0,
      runs: 8,
      max_run_ns: 16,
      tgid: 24,
      vote: 28,
      disp_pid: 32,
      off_count: 36,
      disp_comm: 40,
      off_max_ns: 56,
      off_total_ns: 64,
      off_by_pid: 72,
      off_preempted: 76,
      off_by_comm: 80,
      cgroup: 96,
    },
  },
  state: {
    struct: 'iso_state',
    size: 152,
    fields: {
      in_ns: 0,
      seq: 8,
      pid: 16,
      epoch: 20,
      tgid: 24,
      disp_pid: 28,
      comm: 32,
      disp_comm: 48,
      r_out_ns: 64,
      r_top_ns: 72,
      r_pid: 80,
      r_top_pid: 84,
      r_preempted: 88,
      s_pid: 92,
      r_top_comm: 96,
      s_cut: 112,
      s_in: 120,
      s_tgid: 128,
      _pad: 132,
      s_comm: 136,
    },
  },
} as const;
const K = ISO_LAYOUT.key.fields;
const V = ISO_LAYOUT.val.fields;
const S = ISO_LAYOUT.state.fields;

export function decodeIsoEntry(key: Buffer, val: Buffer): IsoEntry {
  return {
    pid: key.readUInt32LE(K.pid),
    comm: cString(key, K.comm, ISO_COMM_LEN),
    tgid: val.readUInt32LE(V.tgid),
    onNs: u64(val, V.on_ns),
    runs: u64(val, V.runs),
    maxRunNs: u64(val, V.max_run_ns),
    vote: val.readUInt32LE(V.vote),
    dispPid: val.readUInt32LE(V.disp_pid),
    dispComm: cString(val, V.disp_comm, ISO_COMM_LEN),
    offCount: val.readUInt32LE(V.off_count),
    offMaxNs: u64(val, V.off_max_ns),
    offTotalNs: u64(val, V.off_total_ns),
    offByPid: val.readUInt32LE(V.off_by_pid),
    offByComm: cString(val, V.off_by_comm, ISO_COMM_LEN),
    offPreempted: val.readUInt32LE(V.off_preempted) !== 0,
    cgroup: u64(val, V.cgroup),
  };
}

export interface IsoState {
  inNs: bigint;
  seq: bigint;
  pid: number;
  epoch: number;
  tgid: number;
  comm: string;
  dispPid: number;
  dispComm: string;
  sCut: bigint;
  sIn: bigint;
  sPid: number;
  sTgid: number;
  sComm: string;
}

export function decodeIsoState(b: Buffer): IsoState {
  return {
    inNs: b.readBigUInt64LE(S.in_ns),
    seq: b.readBigUInt64LE(S.seq),
    pid: b.readUInt32LE(S.pid),
    epoch: b.readUInt32LE(S.epoch),
    tgid: b.readUInt32LE(S.tgid),
    comm: cString(b, S.comm, ISO_COMM_LEN),
    dispPid: b.readUInt32LE(S.disp_pid),
    dispComm: cString(b, S.disp_comm, ISO_COMM_LEN),
    sCut: b.readBigUInt64LE(S.s_cut),
    sIn: b.readBigUInt64LE(S.s_in),
    sPid: b.readUInt32LE(S.s_pid),
    sTgid: b.readUInt32LE(S.s_tgid),
    sComm: cString(b, S.s_comm, ISO_COMM_LEN),
  };
}

/** Device IRQs that may reach the CPU, at most this many in a sample. */
const AFFINE_MAX = 32;
/** IRQ affinities are read again at most this often (they change rarely: irqbalance, an admin). */
const AFFINITY_EVERY_MS = 5000;

function optionalRead<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** The /proc part of one read (interrupts and softirqs may be unreadable in a container: null). */
export function readIsoProc(procRoot: string, clock: () => bigint = process.hrtime.bigint): IsoProcRaw {
  return {
    tNs: clock(),
    interrupts: optionalRead(() => readInterrupts(procRoot)),
    softirqs: optionalRead(() => readSoftirqs(procRoot)),
    softnet: readSoftnet(procRoot),
    snmp: readSnmpAll(procRoot),
    snmp6: readSnmp6(procRoot),
    netstat: readNetstat(procRoot),
    netdev: readNetDev(procRoot),
  };
}

/** The CPU to watch: the pinned one, else the first isolated online one, else none. */
export function watchedCpu(pinned: number | null, iso: Isolation, online: readonly number[]): { cpu: number | null; source: 'pinned' | 'isolated' | null } {
  if (pinned !== null) return { cpu: pinned, source: 'pinned' };
  const first = isolatedOnline(iso, online)[0];
  return first === undefined ? { cpu: null, source: null } : { cpu: first, source: 'isolated' };
}

export class IsolationProbe extends SchedProbe<IsolationSample> {
  readonly name = 'isolation';
  protected readonly part = SCHED_PART_ISO;
  private control: SchedControl | null = null;
  private gens: Generations | null = null;
  private procRoot = '/proc';
  private sysRoot = '/sys';
  private online: readonly number[] = [];
  private iso: Isolation = NO_ISOLATION;
  private pinned: number | null = null;
  private watched: { cpu: number | null; source: 'pinned' | 'isolated' | null } = { cpu: null, source: null };
  /** The interval's start (the last boundary written), CLOCK_MONOTONIC ns. */
  private lastCut = 0n;
  /** The resident written for the kernel (its absences are measured). */
  private resident = 0;
  private prevProc: IsoProcRaw | null = null;
  private affine: { irq: number; cpus: readonly number[] }[] = [];
  private affineAt = -Infinity;
  private overflowSeen = 0;
  private lostPending = 0;
  private readonly clock: () => bigint = () => process.hrtime.bigint();

  protected override joined(obj: BpfObject, config: ProbeConfig, control: SchedControl): void {
    this.procRoot = config.procRoot || '/proc';
    this.sysRoot = config.sysRoot ?? '/sys';
    this.online = config.cpus;
    this.iso = readIsolation(this.sysRoot);
    this.pinned = config.pinnedCpu;
    this.control = control;
    this.gens = new Generations(obj.map('iso_gens'), [obj.map('iso0'), obj.map('iso1')]);
    // The part is off: nothing writes them. Start from iso0, both empty.
    this.gens.reset();
    for (const g of this.gens.maps) drainQuiet(g);
    this.watched = watchedCpu(this.pinned, this.iso, this.online);
    this.lastCut = this.clock();
    this.resident = 0;
    control.set({ isoResident: 0, isoCut: this.lastCut });
    control.isoWatch(this.watched.cpu);
    this.overflowSeen = this.readOverflow(obj);
    this.lostPending = 0;
    this.prevProc = this.watched.cpu === null ? null : readIsoProc(this.procRoot, this.clock);
    this.affineAt = -Infinity;
  }

  protected override left(): void {
    this.gens = null;
    this.control = null;
    this.prevProc = null;
  }

  protected override lostSinceLast(): number {
    const n = this.lostPending;
    this.lostPending = 0;
    return n;
  }

  /** The CPU watched now (null: none). */
  get watchedCpu(): number | null {
    return this.watched.cpu;
  }

  /** The pinned CPU changed: watch it (or the first isolated one); the tables start afresh. */
  setPinnedCpu(cpu: number | null): void {
    this.pinned = cpu;
    const w = watchedCpu(cpu, this.iso, this.online);
    if (w.cpu === this.watched.cpu) {
      this.watched = w;
      return;
    }
    this.watched = w;
    this.rewatch(w.cpu);
  }

  /** Watch `cpu` from a new epoch: nothing seen before counts (another CPU's, or from before it went offline). */
  private rewatch(cpu: number | null): void {
    if (!this.obj || !this.control || !this.gens) return;
    this.control.isoWatch(cpu);
    this.resident = 0;
    // No run on the old CPU (or the old epoch) still writes; what it wrote is not the new one's.
    this.control.quiesce();
    for (const g of this.gens.maps) drainQuiet(g);
    // The /proc counters from here: the first interval's rates are over the time since.
    this.prevProc = cpu === null ? null : readIsoProc(this.procRoot, this.clock);
  }

  /**
   * Hotplug: while the watched CPU is offline its tables are empty (no task is charged for time
   * it did not run); when it comes back it is watched from a new epoch, as its state from before
   * is stale. An isolated CPU (not pinned) that goes offline gives way to the next isolated one.
   */
  setOnlineCpus(cpus: readonly number[]): void {
    const cpu = this.watched.cpu;
    const wasOn = cpu !== null && this.online.includes(cpu);
    this.online = cpus;
    const w = watchedCpu(this.pinned, this.iso, cpus);
    if (w.cpu !== cpu) {
      this.setPinnedCpu(this.pinned);
      return;
    }
    if (cpu !== null && cpus.includes(cpu) && !wasOn) this.rewatch(cpu);
  }

  private readOverflow(obj: BpfObject | null = this.obj): number {
    const per = obj?.map('iso_overflow').lookupPerCpu(u32(0)) ?? [];
    return per.reduce((a, b) => a + u64(b, 0), 0);
  }

  /** The watched CPU's state, read twice with no switch in between (null: no switch seen since the watch began, or it kept moving). */
  private readState(cpu: number): IsoState | null {
    const map = this.obj!.map('iso_state');
    for (let i = 0; i < 4; i++) {
      const a = map.lookupPerCpu(u32(0))?.[cpu];
      const b = map.lookupPerCpu(u32(0))?.[cpu];
      if (!a || !b) return null;
      if (a.equals(b)) {
        const st = decodeIsoState(a);
        return st.epoch === this.control?.isoEpoch() ? st : null;
      }
    }
    return null;
  }

  private affinities(cpu: number): IsolationSample['affine_irqs'] {
    const now = Date.now();
    if (now - this.affineAt >= AFFINITY_EVERY_MS) {
      this.affine = optionalRead(() => readIrqAffinities(this.procRoot)) ?? [];
      this.affineAt = now;
    }
    const names = new Map((this.prevProc?.interrupts?.rows ?? []).map((r) => [r.irq, irqName(r.desc)]));
    return this.affine
      .filter((a) => a.cpus.includes(cpu))
      .slice(0, AFFINE_MAX)
      .map((a) => ({ irq: a.irq, name: names.get(String(a.irq)) ?? '', cpus: formatCpuList(a.cpus) }));
  }

  sample(): IsolationSample {
    const empty = (): IsolationSample => ({
      cpu: this.watched.cpu,
      source: this.watched.source,
      isolated: this.iso,
      span_s: 0,
      tasks: [],
      other_tasks: 0,
      other_us: 0,
      idle_us: 0,
      resident_off: null,
      irqs: [],
      softirqs: [],
      affine_irqs: [],
      overflow: 0,
      net: {
        softnet: null,
        udp_rcvbuf_errors: 0,
        udp_in_errors: 0,
        udp6_rcvbuf_errors: 0,
        udp6_in_errors: 0,
        tcp_backlog_drop: 0,
        nic_rx_drop: 0,
        nic_tx_drop: 0,
        nic_drops: [],
      },
    });
    if (!this.obj || !this.gens || !this.control) return empty();
    const cpu = this.watched.cpu;
    // 1-2: the boundary, then the flip; the old generation holds every run that ended before it.
    const cut = this.clock();
    const from = this.lastCut;
    this.control.set({ isoCut: cut });
    let entries: IsoEntry[] = [];
    try {
      entries = drainQuiet(this.gens.maps[this.gens.flip()]).map(([k, v]) => decodeIsoEntry(k, v));
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
    }
    this.lastCut = cut;
    // 3: the run across the boundary, before it.
    const extras: IsoExtra[] = [];
    const offline = cpu !== null && !this.online.includes(cpu);
    const st = cpu === null || offline ? null : this.readState(cpu);
    if (st) {
      const part = (inNs: bigint) => Number(cut - (inNs > from ? inNs : from));
      if (st.sCut === cut && st.sIn < cut) {
        extras.push({ pid: st.sPid, tgid: st.sTgid, comm: st.sComm, ns: part(st.sIn), running: false, dispPid: 0, dispComm: '' });
      } else if (st.inNs < cut) {
        extras.push({ pid: st.pid, tgid: st.tgid, comm: st.comm, ns: part(st.inNs), running: true, dispPid: st.dispPid, dispComm: st.dispComm });
      }
      // A run that began after the boundary and goes on: on the CPU at the end, counted next time.
      if (st.inNs >= cut) extras.push({ pid: st.pid, tgid: st.tgid, comm: st.comm, ns: 0, running: true, dispPid: st.dispPid, dispComm: st.dispComm });
    }
    const built = buildTasks(
      offline ? [] : entries,
      extras.filter((x) => x.ns >= 0),
      this.resident,
    );
    // Each task's cgroup: its row's (the kernel's), else its /proc entry's (a run user space added).
    const cgOf = new Map<number, number>();
    for (const e of entries) if (e.cgroup) cgOf.set(e.pid, e.cgroup);
    for (const t of built.tasks) {
      const id = cgOf.get(t.pid);
      const ref = id !== undefined ? cgroupRef(id) : cgroupOfPid(this.procRoot, t.pid);
      if (ref) t.cgroup = ref;
    }
    // 4: the resident whose absences the next interval measures.
    if (built.resident !== this.resident && built.resident !== 0) {
      this.resident = built.resident;
      this.control.set({ isoResident: this.resident });
    }
    const seen = this.readOverflow();
    const overflow = counterDelta(seen, this.overflowSeen);
    this.overflowSeen = seen;
    this.lostPending += overflow;
    // 5: /proc, only while a CPU is watched (its counters are read for that CPU's column; with
    // none, an idle host's usual case, the seven files are not read at all).
    if (cpu === null) {
      this.prevProc = null;
      return { ...empty(), overflow };
    }
    const proc = readIsoProc(this.procRoot, this.clock);
    const prev = this.prevProc ?? proc;
    this.prevProc = proc;
    const elapsedS = Number(proc.tNs - prev.tNs) / 1e9;
    return {
      cpu,
      source: this.watched.source,
      isolated: this.iso,
      span_s: Math.round(Number(cut - from) / 1e3) / 1e6,
      ...(offline ? { offline: true } : {}),
      tasks: built.tasks,
      other_tasks: built.other_tasks,
      other_us: built.other_us,
      idle_us: built.idle_us,
      resident_off: built.resident_off,
      irqs: cpuRates(proc.interrupts, prev.interrupts, cpu, elapsedS),
      softirqs: cpuRates(proc.softirqs, prev.softirqs, cpu, elapsedS),
      affine_irqs: this.affinities(cpu),
      net: netPart(proc, prev, cpu),
      overflow,
    };
  }
}
