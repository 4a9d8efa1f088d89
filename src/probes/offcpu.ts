// offcpu: who was kicked off which CPU, for how long, and by whom, per interval.
//
// The kernel side is the off-CPU part of the scheduler object (bpf/offcpu.bpf.h, included by
// bpf/sched.bpf.c, shared with the run-queue probe: src/probes/sched.ts). It aggregates every
// return to a CPU into a hash keyed by {cpu, pid}. There are two such hashes (generations, agg0
// and agg1); the one slot of the ARRAY_OF_MAPS `gens` says which one the program writes. Each
// tick sample():
//   1. writes the fd of the OTHER (empty) hash into gens[0]. The kernel's map-in-map update
//      returns only after an RCU grace period (kernel/bpf/syscall.c, map_update_elem ->
//      maybe_wait_bpf_programs -> synchronize_rcu for ARRAY_OF_MAPS), and the program runs
//      under rcu_read_lock (kernel/trace/bpf_trace.c, __bpf_trace_run), so when the write
//      returns, no program run can still be writing the old hash;
//   2. reads the old hash whole and empties it (nobody writes it any more: nothing can be lost
//      between the read and the clear), ready to be the next tick's spare;
//   3. reports the interval's overflow (inserts that failed because the hash was full) as
//      `overflow` and as cost().lost.
// When the part goes on (start) both generations and the totals are emptied first: the object
// may have been loaded, and this part on before, while the run-queue probe kept it.
// Times are reported in microseconds with one decimal (ns / 1000, rounded to 0.1 us).
import { counterDelta } from '../model/counter.js';
import { describeError } from '../bpf/error.js';
import { u32 } from '../bpf/map.js';
import { drainQuiet, Generations } from '../bpf/generations.js';
import type { BpfObject } from '../bpf/object.js';
import { u64, u64n } from './bpf-probe.js';
import { cgroupRef } from './cgroup/registry.js';
import { SCHED_PART_OFFCPU, SchedProbe, type SchedControl } from './sched.js';
import { cString } from './strings.js';
import { optionOf, ProbeArgError, type OptionValue, type ProbeConfig, type ProbeCost } from './types.js';
import { watchWord } from './cpus.js';
import { OFFCPU_STACKS, OFFCPU_STACKS_FP, type OffcpuRow, type OffcpuSample } from './offcpu-spec.js';
import type { OffStacksProbe } from './offcpu-stacks.js';

/** Mirrors bpf/offcpu.h. */
export const OFFCPU_COMM_LEN = 16;
export const OFFCPU_KEY_BYTES = 8; // struct offcpu_key {u32 cpu; u32 pid}
export const OFFCPU_VAL_BYTES = 72; // struct offcpu_val
const V_MAX = 0;
const V_TOTAL = 8;
const V_RETURNS = 16;
const V_PREEMPTED = 24;
const V_TGID = 28;
const V_COMM = 32;
const V_BY = 48;
const V_CGROUP = 64;
/** struct offcpu_key and struct offcpu_val as decoded here, by C member name
 * (test/probes/layout.test.ts checks them against the object's BTF). */
export const OFFCPU_LAYOUT = {
  key: { struct: 'offcpu_key', size: OFFCPU_KEY_BYTES, fields: { cpu: 0, pid: 4 } },
  val: {
    struct: 'offcpu_val',
    size: OFFCPU_VAL_BYTES,
    fields: { max_ns: V_MAX, total_ns: V_TOTAL, returns: V_RETURNS, preempted: V_PREEMPTED, tgid: V_TGID, comm: V_COMM, preempted_by: V_BY, cgroup: V_CGROUP },
  },
} as const;
const K = OFFCPU_LAYOUT.key.fields;

/** Default number of rows kept per CPU and interval. */
export const OFFCPU_TOP_PER_CPU = 20;

/** One task on one CPU for one interval, as the kernel aggregated it. */
export interface OffcpuEntry {
  cpu: number;
  pid: number;
  tgid: number;
  comm: string;
  maxNs: number;
  totalNs: number;
  returns: number;
  preempted: number;
  /** '' when never preempted. */
  preemptedBy: string;
  /** Its v2 cgroup id. */
  cgroup?: number;
}

export interface OffcpuOptions {
  /** Rows kept per CPU and interval (default 20). */
  topPerCpu?: number;
  /** Report the idle tasks' rows in `idle` (default true). */
  idle?: boolean;
  /** Keep the kernel's cumulative per-task return counts (returnsTotals(); default false). */
  countTotals?: boolean;
}

export interface OffcpuFilter {
  topPerCpu: number;
  idle: boolean;
  /** Only tasks of this process (tgid); idle rows are not filtered. */
  pid: number | null;
  /** Only tasks whose comm contains this text; idle rows are not filtered. */
  comm: string | null;
}

export function decodeEntry(key: Buffer, val: Buffer): OffcpuEntry {
  return {
    cpu: key.readUInt32LE(K.cpu),
    pid: key.readUInt32LE(K.pid),
    tgid: val.readUInt32LE(V_TGID),
    comm: cString(val, V_COMM, OFFCPU_COMM_LEN),
    maxNs: u64(val, V_MAX),
    totalNs: u64(val, V_TOTAL),
    returns: u64(val, V_RETURNS),
    preempted: val.readUInt32LE(V_PREEMPTED),
    preemptedBy: cString(val, V_BY, OFFCPU_COMM_LEN),
    cgroup: u64n(val, V_CGROUP),
  };
}

/** Nanoseconds to microseconds, rounded to 0.1 us. */
export function nsToUs(ns: number): number {
  return Math.round(ns / 100) / 10;
}

export function toRow(e: OffcpuEntry): OffcpuRow {
  return {
    cpu: e.cpu,
    pid: e.pid,
    tgid: e.tgid,
    comm: e.comm,
    max_us: nsToUs(e.maxNs),
    total_us: nsToUs(e.totalNs),
    returns: e.returns,
    preempted: e.preempted,
    preempted_by: e.preempted > 0 ? e.preemptedBy : null,
    ...(e.cgroup !== undefined ? { cgroup: cgroupRef(e.cgroup) } : {}),
  };
}

/** Longest first; ties: larger total, then CPU, then pid (a stable, reproducible order). */
export function compareRows(a: OffcpuRow, b: OffcpuRow): number {
  return b.max_us - a.max_us || b.total_us - a.total_us || a.cpu - b.cpu || a.pid - b.pid;
}

/** The interval's sample from the entries of one generation. Pure. */
export function buildSample(entries: readonly OffcpuEntry[], filter: OffcpuFilter, overflow: number): Omit<OffcpuSample, 'stacks'> {
  const perCpu = new Map<number, OffcpuRow[]>();
  const idle: OffcpuRow[] = [];
  for (const e of entries) {
    if (e.pid === 0) {
      if (filter.idle) idle.push(toRow(e));
      continue;
    }
    if (filter.pid !== null && e.tgid !== filter.pid) continue;
    if (filter.comm !== null && !e.comm.includes(filter.comm)) continue;
    let l = perCpu.get(e.cpu);
    if (!l) perCpu.set(e.cpu, (l = []));
    l.push(toRow(e));
  }
  const rows: OffcpuRow[] = [];
  const top = Math.max(0, Math.floor(filter.topPerCpu));
  for (const l of perCpu.values()) rows.push(...l.sort(compareRows).slice(0, top));
  rows.sort(compareRows);
  idle.sort(compareRows);
  return { rows, idle, overflow };
}

export { drainQuiet };

export class OffcpuProbe extends SchedProbe<OffcpuSample> {
  readonly name = 'offcpu';
  protected readonly part = SCHED_PART_OFFCPU;
  private readonly opts: Required<OffcpuOptions>;
  private filter: OffcpuFilter = { topPerCpu: OFFCPU_TOP_PER_CPU, idle: true, pid: null, comm: null };
  private gens: Generations | null = null;
  private overflowSeen = 0;
  private lostPending = 0;
  private pinned: number | null = null;
  private control: SchedControl | null = null;
  /** The off-CPU stacks' own object, while they are wanted (--offcpu-stacks). */
  private stacks: OffStacksProbe | null = null;
  private stacksWanted = false;
  /** Why the stacks asked for at start could not be loaded, or null. */
  private stacksError: string | null = null;
  private config: ProbeConfig | null = null;

  constructor(opts: OffcpuOptions = {}) {
    super();
    this.opts = {
      topPerCpu: opts.topPerCpu ?? OFFCPU_TOP_PER_CPU,
      idle: opts.idle ?? true,
      countTotals: opts.countTotals ?? false,
    };
  }

  protected override joined(obj: BpfObject, config: ProbeConfig, control: SchedControl): void {
    const word = watchWord(config.pinnedCpu); // validates
    this.gens = new Generations(obj.map('gens'), [obj.map('agg0'), obj.map('agg1')]);
    // Nothing writes them while the part is off: start from agg0, both empty, no totals.
    this.gens.reset();
    for (const g of this.gens.maps) drainQuiet(g);
    drainQuiet(obj.map('returns_total'));
    this.control = control;
    control.set({ watch: word, countTotals: this.opts.countTotals ? 1 : 0, offSelf: config.selfTgid ?? 0 });
    this.pinned = config.pinnedCpu;
    this.filter = { topPerCpu: this.opts.topPerCpu, idle: this.opts.idle, pid: config.pid, comm: config.comm };
    this.overflowSeen = this.readOverflow(obj);
    this.lostPending = 0;
  }

  protected override left(): void {
    this.gens = null;
    this.control = null;
  }

  protected override lostSinceLast(): number {
    const n = this.lostPending;
    this.lostPending = 0;
    return n;
  }

  /** The CPU whose returns are aggregated, or null for all. */
  get pinnedCpu(): number | null {
    return this.pinned;
  }

  /** Follow a live change: one word written into the config map; nothing reloaded or re-attached. */
  setPinnedCpu(cpu: number | null): void {
    const word = watchWord(cpu);
    this.pinned = cpu;
    this.stacks?.setPinnedCpu(cpu);
    if (!this.obj) return;
    this.control?.set({ watch: word });
  }

  private readOverflow(obj: BpfObject | null = this.obj): number {
    const per = obj?.map('overflow').lookupPerCpu(u32(0)) ?? [];
    return per.reduce((a, b) => a + u64(b, 0), 0);
  }

  /** Switch the program to the other generation and return the entries of the one it left. */
  private flip(): OffcpuEntry[] {
    const gens = this.gens!;
    return drainQuiet(gens.maps[gens.flip()]).map(([k, v]) => decodeEntry(k, v));
  }

  sample(): OffcpuSample {
    if (!this.obj || !this.gens) return { rows: [], idle: [], overflow: 0 };
    const entries = this.flip();
    const seen = this.readOverflow();
    const overflow = counterDelta(seen, this.overflowSeen);
    this.overflowSeen = seen;
    this.lostPending += overflow;
    const stacks = this.stacks
      ? this.stacks.sample()
      : this.stacksError
        ? { rows: [], returns: 0, other: 0, lost: 0, symbolize_ms: 0, error: this.stacksError }
        : null;
    return { ...buildSample(entries, this.filter, overflow), stacks };
  }

  override start(config: ProbeConfig): void {
    super.start(config);
    this.config = config;
    this.stacksWanted = optionOf(config, OFFCPU_STACKS);
  }

  override async startAsync(config: ProbeConfig): Promise<void> {
    await super.startAsync(config);
    this.config = config;
    this.stacksWanted = optionOf(config, OFFCPU_STACKS);
    this.stacksError = null;
    // Stacks that cannot be had never take the maxima down: the samples say why there are none.
    if (this.stacksWanted) await this.startStacks().catch((e: unknown) => (this.stacksError = describeError(e)));
  }

  private async startStacks(): Promise<void> {
    if (this.stacks || !this.config) return;
    const p = new (await import('./offcpu-stacks.js')).OffStacksProbe(undefined, optionOf(this.config, OFFCPU_STACKS_FP));
    await p.startAsync({ ...this.config, pinnedCpu: this.pinned });
    if (!this.obj || !this.stacksWanted) {
      p.stop(); // the probe stopped or the stacks were switched off meanwhile
      return;
    }
    this.stacks = p;
  }

  /** --offcpu-stacks, live: load or unload the stacks' object; the maxima go on untouched. */
  async setOption(flag: string, value: OptionValue): Promise<void> {
    if (flag !== OFFCPU_STACKS.flag || typeof value !== 'boolean') throw new ProbeArgError(`offcpu has no setting --${flag}`);
    this.stacksWanted = value;
    this.stacksError = null;
    if (!this.obj) return;
    if (value) await this.startStacks();
    else {
      this.stacks?.stop();
      this.stacks = null;
    }
  }

  /** The maxima's share of the scheduler object, and the stacks' own object when loaded. */
  override cost(): ProbeCost {
    const a = super.cost();
    const b = this.stacks?.cost();
    if (!b || a.run_ns === undefined) return a;
    const run_ns = a.run_ns + (b.run_ns ?? 0);
    const run_cnt = a.run_cnt ?? 0;
    return { run_ns, run_cnt, ns_per_event: run_cnt > 0 ? run_ns / run_cnt : null, lost: (a.lost ?? 0) + (b.lost ?? 0) };
  }

  override stop(): void {
    this.stacks?.stop();
    this.stacks = null;
    super.stop();
  }

  /** The kernel's cumulative returns per thread id (only with countTotals). */
  returnsTotals(): Map<number, number> {
    const out = new Map<number, number>();
    if (!this.obj) return out;
    if (!this.opts.countTotals) throw new Error('offcpu: returnsTotals() needs { countTotals: true }');
    for (const [k, v] of this.obj.map('returns_total').entries()) out.set(k.readUInt32LE(0), u64(v, 0));
    return out;
  }
}
