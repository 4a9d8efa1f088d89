// The scheduler object (bpf/sched.bpf.c): one tp_btf/sched_switch program that does the work of
// the scheduler probes (off-CPU times, run-queue latency, what ran on a watched CPU), shared by
// them in this process. The
// object is loaded when the first of them starts and unloaded when the last one stops; in
// between each probe switches its own part of the program's work on and off through the live
// config word `sched_cfg` (no reload, no re-attach): the other part keeps counting, untouched.
//
// A part that goes on bumps its epoch before its bit is set: task state the kernel kept for an
// earlier on-period (an off-CPU stamp, a run-queue baseline) carries the old epoch and is
// ignored. A part that goes off clears its bit and then waits for an RCU grace period (a
// map-in-map update: see bpf/sched.bpf.c), so no run of the program still does its work when
// its maps are read or reset.
//
// Cost: the kernel counts run time per program; while several parts are on, each probe reports
// an equal share of the program's run time and runs (the sums stay exact), alone all of it.
import { BpfError } from '../bpf/error.js';
import { BpfObject, bpfObjectPath } from '../bpf/object.js';
import { u32 } from '../bpf/map.js';
import { acquireStats, releaseStats } from '../bpf/stats.js';
import { CostMeter, noHook } from './bpf-probe.js';
import type { Probe, ProbeConfig, ProbeCost } from './types.js';
import { applyCgroupFilter } from './cgroup/kernel-filter.js';
import { readFileSync } from 'node:fs';

/** Rows of each top generation: (process, CPU) pairs that ran in one interval (at most every thread's own); a power of two, 4,096 to 65,536 (56-byte rows). */
export function topRowsFor(tasks: number): number {
  let n = 4096;
  while (n < tasks && n < 65_536) n *= 2;
  return n;
}

/** The off-CPU rows each generation holds at least, and at most (2 x 64-byte rows + the hash's own ~56 bytes per entry: 4 MiB and 64 MiB of locked kernel memory for both). */
export const OFFCPU_ROWS_MIN = 16_384;
export const OFFCPU_ROWS_MAX = 262_144;

/**
 * Rows of each off-CPU generation for a host with `tasks` threads now and `pidMax`: a row is one
 * (CPU, thread) that came back in the interval, so twice the threads (headroom for tasks made
 * later and for threads that come back on both CPUs), never fewer than OFFCPU_ROWS_MIN, never
 * more than twice the threads the host can have, nor OFFCPU_ROWS_MAX; a power of two.
 */
export function offcpuRowsFor(tasks: number, pidMax: number): number {
  const want = Math.min(Math.max(OFFCPU_ROWS_MIN, 2 * tasks), 2 * Math.max(pidMax, OFFCPU_ROWS_MIN / 2), OFFCPU_ROWS_MAX);
  let n = OFFCPU_ROWS_MIN;
  while (n < want && n < OFFCPU_ROWS_MAX) n *= 2;
  return n;
}

/** The host's threads now (the 4th field of /proc/loadavg, `running/total`) and pid_max; 0 when unreadable. */
export function hostTasks(procRoot = '/proc'): { tasks: number; pidMax: number } {
  const read = (f: string) => {
    try {
      return readFileSync(`${procRoot}/${f}`, 'utf8');
    } catch {
      return '';
    }
  };
  const tasks = Number(/\d+\/(\d+)/.exec(read('loadavg'))?.[1] ?? 0);
  const pidMax = Number.parseInt(read('sys/kernel/pid_max'), 10);
  return { tasks: Number.isFinite(tasks) ? tasks : 0, pidMax: Number.isFinite(pidMax) ? pidMax : 0 };
}

/** Mirrors bpf/sched.h. */
export const SCHED_PART_OFFCPU = 1;
export const SCHED_PART_RUNQLAT = 2;
export const SCHED_PART_ISO = 4;
export const SCHED_PART_CGROUP = 8;
export const SCHED_PART_TOP = 16;
/** sched_cfg.iso_cpu when no CPU is watched (ISO_NO_CPU in bpf/isolation.h). */
export const ISO_NO_CPU = 0xffffffff;
/** struct sched_cfg: six u32 words, the u64 rq_since, two u32 words, the u64 iso_cut, off_self, cg_gen, top_epoch and top_gen (test/probes/layout.test.ts checks it against BTF). */
const CFG_BYTES = 64;
export const SCHED_CFG_LAYOUT = {
  struct: 'sched_cfg',
  size: CFG_BYTES,
  fields: {
    parts: 0,
    watch: 4,
    off_epoch: 8,
    rq_epoch: 12,
    count_totals: 16,
    iso_cpu: 20,
    rq_since: 24,
    iso_epoch: 32,
    iso_resident: 36,
    iso_cut: 40,
    off_self: 48,
    cg_gen: 52,
    top_epoch: 56,
    top_gen: 60,
  },
} as const;
const F = SCHED_CFG_LAYOUT.fields;

interface Cfg {
  parts: number;
  watch: number;
  offEpoch: number;
  rqEpoch: number;
  countTotals: number;
  /** CLOCK_MONOTONIC ns when rqEpoch began (task->start_time's clock). */
  rqSince: bigint;
  isoCpu: number;
  isoEpoch: number;
  isoResident: number;
  /** CLOCK_MONOTONIC ns of the last interval boundary of the isolation part. */
  isoCut: bigint;
  /** Off-CPU: the process (tgid) whose threads get no rows (perfscope's own), 0 for none. */
  offSelf: number;
  /** Containers: which off-CPU maximum of each cgroup row the program writes (0 or 1). */
  cgGen: number;
  /** Top: bumped each time its part goes on (per-CPU records of another epoch are stale). */
  topEpoch: number;
  /** Top: which of its two generations (the parity) the switch-outs are added to. */
  topGen: number;
}

const ZERO_KEY = Buffer.alloc(4);

/** The one buffer the config is written from (written whole each time, several times an interval). */
const CFG_BUF = Buffer.alloc(CFG_BYTES);

function cfgBuffer(c: Cfg): Buffer {
  const b = CFG_BUF;
  b.writeUInt32LE(c.parts, F.parts);
  b.writeUInt32LE(c.watch, F.watch);
  b.writeUInt32LE(c.offEpoch >>> 0, F.off_epoch);
  b.writeUInt32LE(c.rqEpoch >>> 0, F.rq_epoch);
  b.writeUInt32LE(c.countTotals, F.count_totals);
  b.writeUInt32LE(c.isoCpu >>> 0, F.iso_cpu);
  b.writeBigUInt64LE(c.rqSince, F.rq_since);
  b.writeUInt32LE(c.isoEpoch >>> 0, F.iso_epoch);
  b.writeUInt32LE(c.isoResident >>> 0, F.iso_resident);
  b.writeBigUInt64LE(c.isoCut, F.iso_cut);
  b.writeUInt32LE(c.offSelf >>> 0, F.off_self);
  b.writeUInt32LE(c.cgGen & 1, F.cg_gen);
  b.writeUInt32LE(c.topEpoch >>> 0, F.top_epoch);
  b.writeUInt32LE(c.topGen >>> 0, F.top_gen);
  return b;
}

/** The one loaded scheduler object of this process, and who uses it. */
class SchedObject {
  private obj: BpfObject | null = null;
  private loading: Promise<BpfObject> | null = null;
  private users = 0;
  /** Epochs only grow (also across reloads): 0 is "never". */
  private cfg: Cfg = {
    parts: 0,
    watch: 1,
    offEpoch: 0,
    rqEpoch: 0,
    countTotals: 0,
    rqSince: 0n,
    isoCpu: ISO_NO_CPU,
    isoEpoch: 0,
    isoResident: 0,
    isoCut: 0n,
    offSelf: 0,
    cgGen: 0,
    topEpoch: 0,
    topGen: 0,
  };
  /** --cgroup: the ids the object lets through (null: all), set on every load and kept live. */
  private cgroupIds: readonly number[] | null = null;

  /** The object, its off-CPU generations sized from the host now (offcpuRowsFor). */
  private open(): BpfObject {
    const obj = BpfObject.open(bpfObjectPath('sched'));
    const { tasks, pidMax } = hostTasks();
    const rows = offcpuRowsFor(tasks, pidMax);
    try {
      for (const m of ['agg0', 'agg1', 'returns_total']) obj.setMaxEntries(m, rows);
      for (const m of ['top0', 'top1']) obj.setMaxEntries(m, topRowsFor(tasks));
    } catch (e) {
      obj.close();
      throw e;
    }
    return obj;
  }

  /** After load: attach, hold the run statistics; on failure close and explain. */
  private attach(obj: BpfObject, load: () => void): BpfObject {
    let stats = false;
    try {
      load();
      obj.map('sched_cfg').update(ZERO_KEY, cfgBuffer({ ...this.cfg, parts: 0 }));
      if (this.cgroupIds) applyCgroupFilter(obj, this.cgroupIds);
      obj.attachAll();
      acquireStats();
      stats = true;
      return obj;
    } catch (e) {
      if (stats) releaseStats();
      const missing = e instanceof BpfError && e.stage === 'load' ? obj.missingTpBtf() : [];
      obj.close();
      if (missing.length) throw noHook(missing);
      throw e;
    }
  }

  acquire(): BpfObject {
    if (!this.obj) {
      if (this.loading) throw new BpfError('sched: the scheduler object is being loaded', 16, 'EBUSY', 'load');
      const obj = this.open();
      this.obj = this.attach(obj, () => obj.load());
      this.cfg.parts = 0;
    }
    this.users++;
    return this.obj;
  }

  async acquireAsync(): Promise<BpfObject> {
    if (!this.obj) {
      if (!this.loading) {
        const obj = this.open();
        this.loading = (async () => {
          let failure: { e: unknown } | null = null;
          try {
            await obj.loadAsync();
          } catch (e) {
            failure = { e };
          }
          return this.attach(obj, () => {
            if (failure) throw failure.e;
          });
        })().finally(() => (this.loading = null));
        this.obj = await this.loading;
        this.cfg.parts = 0;
      } else {
        await this.loading;
      }
    }
    this.users++;
    return this.obj!;
  }

  release(): void {
    if (this.users === 0) return;
    this.users--;
    if (this.users > 0 || !this.obj) return;
    const obj = this.obj;
    this.obj = null;
    this.cfg.parts = 0;
    releaseStats();
    try {
      obj.detachAll();
    } finally {
      obj.close();
    }
  }

  /** --cgroup, for every part (the filter is the object's); kept for the next load. */
  setCgroups(ids: readonly number[] | null): void {
    this.cgroupIds = ids;
    if (this.obj) applyCgroupFilter(this.obj, ids);
  }

  private write(): void {
    this.obj?.map('sched_cfg').update(ZERO_KEY, cfgBuffer(this.cfg));
  }

  /** The isolation part's epoch now (its CPU state of another epoch is stale). */
  get isoEpoch(): number {
    return this.cfg.isoEpoch;
  }

  /** The top part's epoch now. */
  get topEpoch(): number {
    return this.cfg.topEpoch;
  }

  /** Parts on now. */
  get parts(): number {
    return this.cfg.parts;
  }

  /** Change the config without touching `parts` (off-CPU watch word, totals, the isolation resident). */
  set(patch: Partial<Omit<Cfg, 'parts' | 'offEpoch' | 'rqEpoch' | 'rqSince' | 'isoEpoch' | 'isoCpu' | 'topEpoch'>>): void {
    Object.assign(this.cfg, patch);
    this.write();
  }

  /** The isolation part watches another CPU (or none): a new epoch makes the old CPU's state stale. */
  isoWatch(cpu: number | null): void {
    this.cfg.isoEpoch = (this.cfg.isoEpoch + 1) >>> 0 || 1;
    this.cfg.isoCpu = cpu === null ? ISO_NO_CPU : cpu;
    this.cfg.isoResident = 0;
    this.write();
  }

  /** Switch a part on: first its new epoch, then its bit (the program reads the bit first). */
  on(part: number): void {
    // The containers part shares the off-CPU stamps and the run-queue baselines: a new epoch
    // only when none of the parts that keep them is on (the others' state is current).
    const offGroup = SCHED_PART_OFFCPU | SCHED_PART_CGROUP;
    const rqGroup = SCHED_PART_RUNQLAT | SCHED_PART_CGROUP;
    if (part & offGroup && !(this.cfg.parts & offGroup)) this.cfg.offEpoch = (this.cfg.offEpoch + 1) >>> 0 || 1;
    if (part === SCHED_PART_ISO) this.cfg.isoEpoch = (this.cfg.isoEpoch + 1) >>> 0 || 1;
    if (part === SCHED_PART_TOP) this.cfg.topEpoch = (this.cfg.topEpoch + 1) >>> 0 || 1;
    if (part & rqGroup && !(this.cfg.parts & rqGroup)) {
      this.cfg.rqEpoch = (this.cfg.rqEpoch + 1) >>> 0 || 1;
      // process.hrtime is CLOCK_MONOTONIC on Linux, the clock of task->start_time.
      this.cfg.rqSince = process.hrtime.bigint();
    }
    this.write();
    this.cfg.parts |= part;
    this.write();
  }

  /** Switch a part off; returns once no run of the program can still be doing its work. */
  off(part: number): void {
    if (!(this.cfg.parts & part)) return;
    this.cfg.parts &= ~part;
    this.write();
    this.quiesce();
  }

  /** Wait for an RCU grace period: an ARRAY_OF_MAPS update returns only after one. */
  quiesce(): void {
    const obj = this.obj;
    if (!obj) return;
    obj.map('barrier').update(ZERO_KEY, u32(obj.map('barrier_inner').fd));
  }
}

const SHARED = new SchedObject();

/**
 * A probe that is one part of the scheduler object. Like BpfProbe (start/startAsync, sample,
 * cost, progIds, stop), but the object is shared: start joins it, stop leaves it.
 */
export abstract class SchedProbe<S> implements Probe<S> {
  abstract readonly name: string;
  readonly bpf = true;
  protected abstract readonly part: number;
  /** The shared object while this part is on. */
  protected obj: BpfObject | null = null;
  private readonly meter = new CostMeter();

  /** Before the part's bit is set: reset its maps, write its config (the part is off: nothing writes them). */
  protected abstract joined(obj: BpfObject, config: ProbeConfig, shared: SchedControl): void;
  /** After the part's bit is cleared and no run does its work any more. */
  protected left(): void {}
  protected lostSinceLast(): number {
    return 0;
  }

  start(config: ProbeConfig): void {
    if (this.obj) return;
    this.join(SHARED.acquire(), config);
  }

  async startAsync(config: ProbeConfig): Promise<void> {
    if (this.obj) return;
    this.join(await SHARED.acquireAsync(), config);
  }

  private join(obj: BpfObject, config: ProbeConfig): void {
    try {
      if (config.cgroups !== undefined) SHARED.setCgroups(config.cgroups);
      this.joined(obj, config, CONTROL);
      this.obj = obj;
      this.meter.reset(obj);
      SHARED.on(this.part);
    } catch (e) {
      this.obj = null;
      SHARED.off(this.part);
      SHARED.release();
      throw e;
    }
  }

  abstract sample(): S;

  /** --cgroup changed: the shared object's filter follows (every part of it). */
  setCgroups(ids: readonly number[] | null): void {
    SHARED.setCgroups(ids);
  }

  cost(): ProbeCost {
    if (!this.obj) return {};
    // Several parts on: each reports an equal share of the one program's figures (the sums stay exact).
    return this.meter.take(this.obj, this.lostSinceLast(), Math.max(1, partsOn(SHARED.parts)));
  }

  /** Kernel program ids of the shared object while this part is on. */
  progIds(): number[] {
    return this.obj ? this.obj.progIds() : [];
  }

  stop(): void {
    if (!this.obj) return;
    this.obj = null;
    this.meter.reset(null);
    try {
      SHARED.off(this.part);
      this.left();
    } finally {
      SHARED.release();
    }
  }
}

/** How many parts a parts word has on. */
export function partsOn(parts: number): number {
  let n = 0;
  for (let p = parts; p; p &= p - 1) n++;
  return n;
}

/** What a part may change of the shared config. */
export interface SchedControl {
  set(patch: { watch?: number; countTotals?: number; offSelf?: number; isoResident?: number; isoCut?: bigint; cgGen?: number; topGen?: number }): void;
  /** The isolation part's epoch now. */
  isoEpoch(): number;
  /** The top part's epoch now (after it went on). */
  topEpoch(): number;
  /** Isolation: watch this CPU (null: none) from a new epoch on. */
  isoWatch(cpu: number | null): void;
  /** Wait until no run of the program still works with the config before the last change. */
  quiesce(): void;
}

const CONTROL: SchedControl = {
  set: (patch) => SHARED.set(patch),
  isoEpoch: () => SHARED.isoEpoch,
  topEpoch: () => SHARED.topEpoch,
  isoWatch: (cpu) => SHARED.isoWatch(cpu),
  quiesce: () => SHARED.quiesce(),
};
