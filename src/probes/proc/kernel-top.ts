// The top table from the scheduler: the proc probe's per-process CPU times (pidstat -u) made by the
// top part of the scheduler object (bpf/top.bpf.h) instead of reading /proc/PID/stat of every
// process each interval. Only the processes whose threads ran are touched: the kernel adds each
// run that ends (a switch-out) to its process's row in one of two generations; each interval this
// flips the generation, reads the one left in one batch and empties it.
//
// A task still on a CPU when the interval ends has not been switched out: its run so far is read
// from /proc/TGID/task/TID/schedstat (sum_exec_runtime, ns) against the sum at its switch-in, which
// the kernel keeps per CPU (`top_cur`): at most one task per CPU, two small reads each. What was
// counted so far of a run is taken back from its process when the run ends (the kernel then adds
// the whole run), from the generation that took the end: the record says which generation the
// switch-outs since a given switch went into (`gen`, `gen_seq`), so a run that ends while this
// flips the generations is taken back in the interval that counts its end, not one early.
//
// usr and system: the kernel's own split of CPU time is tick-sampled (utime and stime grow by a
// tick where a tick falls); the run time is split in the ratio of their growth over the runs, as
// cputime_adjust() splits sum_exec_runtime for /proc/PID/stat (no tick in the interval: all usr,
// as there). Guest time is left out of usr, as pidstat does.
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import type { BpfObject } from '../../bpf/object.js';
import type { BpfMap } from '../../bpf/map.js';
import { drainQuiet } from '../../bpf/generations.js';
import { u64n } from '../bpf-probe.js';
import { SCHED_PART_TOP, SchedProbe, type SchedControl } from '../sched.js';
import type { ProbeConfig } from '../types.js';
import { escapeBytes } from '../strings.js';
import type { KernelTopRow } from './types.js';

/** struct top_key and struct top_val (bpf/top.h). */
export const TOP_KEY_LAYOUT = { struct: 'top_key', size: 8, fields: { tgid: 0, cpu: 4 } } as const;
export const TOP_VAL_LAYOUT = {
  struct: 'top_val',
  size: 64,
  fields: { run_ns: 0, usr_ns: 8, sys_ns: 16, leader_sum: 24, runs: 32, _pad: 36, comm: 40, cgroup: 56 },
} as const;
/** struct top_cur (bpf/top.h). */
export const TOP_CUR_LAYOUT = {
  struct: 'top_cur',
  size: 56,
  fields: { seq_begin: 0, epoch: 4, pid: 8, tgid: 12, in_sum: 16, in_usr: 24, in_sys: 32, gen: 40, gen_seq: 44, epoch_seq: 48, seq_end: 52 },
} as const;
export const TOP_COMM_LEN = 16;

export interface KernelTopSample {
  rows: KernelTopRow[];
  /** Runs the kernel could not count in the interval (a full generation). */
  lost: number;
  /** Seconds between this generation's start and its end (the flips): the rows' own interval. */
  dt: number;
}

/**
 * A thread found running on a CPU where no switch-in has been seen since the part went on (a busy
 * loop alone on its CPU, there before perfscope started, may never be switched out): its
 * sum_exec_runtime when last read, and what was counted of it here.
 */
interface Seeded {
  pid: number;
  tgid: number;
  sum: number;
  credited: number;
}

/** What this reader counted of the run on one CPU so far. */
interface CpuRun {
  /** The record's seq when the run was first read: its end is the switch after it. */
  seq: number;
  pid: number;
  tgid: number;
  inSum: number;
  credited: number;
}

const ZERO = Buffer.alloc(4);
const K = TOP_KEY_LAYOUT.fields;
const V = TOP_VAL_LAYOUT.fields;
const C = TOP_CUR_LAYOUT.fields;

export class KernelTop extends SchedProbe<KernelTopSample> {
  readonly name = 'top';
  protected readonly part = SCHED_PART_TOP;
  private gens: readonly [BpfMap, BpfMap] | null = null;
  /** sched_cfg.top_gen: the generation (its parity: top0 or top1) the kernel adds to now. */
  private gen = 0;
  private ctl: SchedControl | null = null;
  private procRoot = '/proc';
  private runs: (CpuRun | null)[] = [];
  private seeded: (Seeded | null)[] = [];
  /** Runs that ended with nothing of their process read in the interval: taken back next interval. */
  private readonly debt = new Map<number, number>();
  private lostBase = 0;
  private flippedAt = 0n;
  /** Per process, the largest leader_sum seen in its rows this interval (which CPU it last left). */
  private readonly leaderAt = new Map<number, number>();
  private lostLast = 0;
  /** Reused each interval (no allocation per interval for them). */
  private readonly rows = new Map<number, KernelTopRow>();
  private readonly buf = Buffer.alloc(512);

  protected joined(obj: BpfObject, config: ProbeConfig, shared: SchedControl): void {
    // The part is off: nothing adds to the generations now.
    this.gens = [obj.map('top0'), obj.map('top1')];
    this.gen = 0;
    shared.set({ topGen: 0 });
    for (const g of this.gens) drainQuiet(g);
    this.ctl = shared;
    this.procRoot = config.procRoot || '/proc';
    this.runs = [];
    this.debt.clear();
    this.flippedAt = 0n;
    this.lostBase = this.readLost();
    // What runs on each CPU now: a thread that is never switched out is counted from here on.
    this.seeded = [];
    const cpus = obj.map('top_cur').lookupPerCpu(ZERO)?.length ?? 0;
    for (const [cpu, t] of this.findRunning(new Set(Array.from({ length: cpus }, (_, i) => i)))) this.seeded[cpu] = { ...t, credited: 0 };
  }

  protected override left(): void {
    this.gens = null;
    this.runs = [];
    this.seeded = [];
  }

  protected override lostSinceLast(): number {
    return this.lostLast;
  }

  private readLost(): number {
    const per = this.obj?.map('top_lost').lookupPerCpu(ZERO);
    let n = 0;
    for (const b of per ?? []) n += u64n(b, 0);
    return n;
  }

  sample(): KernelTopSample {
    const rows = this.rows;
    rows.clear();
    if (!this.obj || !this.gens || !this.ctl) return { rows: [], lost: 0, dt: 0 };
    // The next generation, then a grace period: no run still adds to the one left.
    const left = this.gens[this.gen & 1];
    this.gen = (this.gen + 1) >>> 0;
    this.ctl.set({ topGen: this.gen });
    this.ctl.quiesce();
    const now = process.hrtime.bigint();
    const dt = this.flippedAt ? Number(now - this.flippedAt) / 1e9 : 0;
    this.flippedAt = now;
    // A process's rows (one per CPU where a run of it ended) add up; its CPU is the one its leader
    // left last (the largest leader_sum), else the CPU of its row with the most time.
    const leaderAt = this.leaderAt;
    leaderAt.clear();
    for (const [k, v] of drainQuiet(left)) {
      const tgid = k.readUInt32LE(K.tgid);
      const cpu = k.readUInt32LE(K.cpu);
      const run = u64n(v, V.run_ns);
      const lead = u64n(v, V.leader_sum);
      const r = rows.get(tgid);
      if (!r) {
        rows.set(tgid, {
          pid: tgid,
          comm: commOf(v, V.comm),
          run_ns: run,
          usr_ns: u64n(v, V.usr_ns),
          sys_ns: u64n(v, V.sys_ns),
          cpu,
          cgroupId: u64n(v, V.cgroup),
        });
        leaderAt.set(tgid, lead);
        continue;
      }
      const best = leaderAt.get(tgid) ?? 0;
      if (lead > best || (lead === 0 && best === 0 && run > r.run_ns)) {
        r.cpu = cpu;
        r.comm = commOf(v, V.comm);
        r.cgroupId = u64n(v, V.cgroup);
        leaderAt.set(tgid, lead);
      }
      r.run_ns += run;
      r.usr_ns += u64n(v, V.usr_ns);
      r.sys_ns += u64n(v, V.sys_ns);
    }
    for (const [tgid, ns] of this.debt) {
      const r = rows.get(tgid);
      if (r) r.run_ns = Math.max(0, r.run_ns - ns);
    }
    this.debt.clear();
    this.runningNow(rows);
    const lost = this.readLost();
    this.lostLast = Math.max(0, lost - this.lostBase);
    this.lostBase = lost;
    const out: KernelTopRow[] = [];
    for (const r of rows.values()) if (r.run_ns > 0) out.push(r);
    return { rows: out, lost: this.lostLast, dt };
  }

  /** The runs still going on each CPU: what they ran since the last interval, from their schedstat. */
  private runningNow(rows: Map<number, KernelTopRow>): void {
    const per = this.obj!.map('top_cur').lookupPerCpu(ZERO) ?? [];
    const epoch = this.ctl!.topEpoch();
    const unseen: number[] = [];
    for (let cpu = 0; cpu < per.length; cpu++) {
      const b = per[cpu];
      const seq = b.readUInt32LE(C.seq_begin);
      const ok = seq === b.readUInt32LE(C.seq_end) && b.readUInt32LE(C.epoch) === epoch;
      const pid = ok ? b.readUInt32LE(C.pid) : 0;
      const before = this.runs[cpu] ?? null;
      // A torn record (being written as it was read): the next interval sees this CPU again.
      if (!ok && seq !== b.readUInt32LE(C.seq_end)) continue;
      const inSum = pid ? u64n(b, C.in_sum) : 0;
      let run: CpuRun | null = null;
      if (before && before.pid === pid && before.inSum === inSum) run = before;
      // That run has ended (at the switch after the one that began it): the kernel added all of
      // it; what was counted of it here is taken back where the kernel added it.
      else if (before) this.takeBack(rows, before.tgid, before.credited, ok && this.endedLater(b, before.seq + 1));
      // A switch-in seen on this CPU (a record of this epoch): a thread seeded there has left it,
      // at the epoch's first switch there.
      if (ok) this.unseed(cpu, rows, this.endedLater(b, b.readUInt32LE(C.epoch_seq)));
      if (!pid) {
        this.runs[cpu] = null;
        if (!ok) unseen.push(cpu);
        continue;
      }
      const tgid = b.readUInt32LE(C.tgid);
      run ??= { seq, pid, tgid, inSum, credited: 0 };
      const now = this.schedSum(tgid, pid);
      if (now !== null && now > inSum) {
        const credit = now - inSum - run.credited;
        if (credit > 0) {
          run.credited += credit;
          this.credit(rows, tgid, pid, cpu, credit);
        }
      }
      this.runs[cpu] = run;
    }
    if (unseen.length) this.creditUnseen(unseen, rows);
  }

  /**
   * Whether the switch `seq` on the CPU of record `b` added its run to the generation written now
   * (after this interval's flip), not to the one just read: the record's gen is the current one
   * and the switches with it began at or before `seq`.
   */
  private endedLater(b: Buffer, seq: number): boolean {
    return b.readUInt32LE(C.gen) === this.gen && (seq - b.readUInt32LE(C.gen_seq)) >>> 0 < 0x80000000;
  }

  /**
   * `ns` counted here of a run that has ended, taken back from its process: from this interval's
   * row when its end is in the generation just read (no row: the kernel could not make one, and
   * counted it lost), else from the next interval's.
   */
  private takeBack(rows: Map<number, KernelTopRow>, tgid: number, ns: number, later: boolean): void {
    if (ns <= 0) return;
    if (later) {
      this.debt.set(tgid, (this.debt.get(tgid) ?? 0) + ns);
      return;
    }
    const r = rows.get(tgid);
    if (r) r.run_ns = Math.max(0, r.run_ns - ns);
  }

  /** `ns` more of a run still going on `cpu`, to its process's row. */
  private credit(rows: Map<number, KernelTopRow>, tgid: number, pid: number, cpu: number, ns: number): void {
    let r = rows.get(tgid);
    if (!r) {
      r = { pid: tgid, comm: this.commOf(tgid), run_ns: 0, usr_ns: 0, sys_ns: 0, cpu };
      rows.set(tgid, r);
    }
    r.run_ns += ns;
    // Its split: the ratio over the runs that ended, else the task's own over its life.
    if (r.usr_ns + r.sys_ns === 0) {
      const t = this.taskTimes(tgid, pid);
      if (t) {
        r.usr_ns = t.usr;
        r.sys_ns = t.sys;
      }
    }
    if (pid === tgid) r.cpu = cpu;
  }

  /** A seeded run that has ended: the kernel adds all of it at its switch-out; what was counted of it here is taken back. */
  private unseed(cpu: number, rows: Map<number, KernelTopRow>, later: boolean): void {
    const s = this.seeded[cpu];
    if (!s) return;
    this.seeded[cpu] = null;
    this.takeBack(rows, s.tgid, s.credited, later);
  }

  /**
   * CPUs with no switch-in seen since the part went on: the thread seeded there (still running
   * there) is credited what it ran since it was last read; a CPU whose seeded thread is gone, or
   * that has none, is looked up again in /proc (one pass for all of them; none while every CPU
   * has been switched, the usual case).
   */
  private creditUnseen(cpus: readonly number[], rows: Map<number, KernelTopRow>): void {
    const lookup = new Set<number>();
    for (const cpu of cpus) {
      const s = this.seeded[cpu];
      const now = s && this.onCpu(s.tgid, s.pid) === cpu ? this.schedSum(s.tgid, s.pid) : null;
      if (!s || now === null) {
        // Gone from the CPU with no switch seen there (the part went on as it left).
        this.unseed(cpu, rows, false);
        lookup.add(cpu);
        continue;
      }
      const ns = now - s.sum;
      s.sum = now;
      if (ns <= 0) continue;
      s.credited += ns;
      this.credit(rows, s.tgid, s.pid, cpu, ns);
    }
    if (lookup.size) for (const [cpu, t] of this.findRunning(lookup)) this.seeded[cpu] = { ...t, credited: 0 };
  }

  /** The CPU a thread is running on now (state R, field 39 of its stat), or null. */
  private onCpu(tgid: number, pid: number): number | null {
    const s = this.read(`${this.procRoot}/${tgid}/task/${pid}/stat`);
    if (!s) return null;
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // proc(5): f[0] is field 3 (state), f[36] field 39 (processor).
    return f[0] === 'R' ? Number(f[36]) : null;
  }

  /** One pass over /proc's threads: for each of `cpus`, a thread running there now and its sum_exec_runtime. */
  private findRunning(cpus: ReadonlySet<number>): Map<number, Omit<Seeded, 'credited'>> {
    const out = new Map<number, Omit<Seeded, 'credited'>>();
    let procs: string[];
    try {
      procs = readdirSync(this.procRoot);
    } catch {
      return out;
    }
    for (const p of procs) {
      if (out.size === cpus.size) break;
      if (!/^\d+$/.test(p)) continue;
      let tasks: string[];
      try {
        tasks = readdirSync(`${this.procRoot}/${p}/task`);
      } catch {
        continue;
      }
      for (const t of tasks) {
        if (!/^\d+$/.test(t)) continue;
        const tgid = Number(p);
        const pid = Number(t);
        if (tgid === process.pid) continue; // this reader: switched in on its CPU since the part went on
        const cpu = this.onCpu(tgid, pid);
        if (cpu === null || !cpus.has(cpu) || out.has(cpu)) continue;
        const sum = this.schedSum(tgid, pid);
        if (sum !== null) out.set(cpu, { tgid, pid, sum });
      }
    }
    return out;
  }

  /** A small file under /proc/TGID/task/TID, or null (gone). */
  private read(path: string): string | null {
    let fd = -1;
    try {
      fd = openSync(path, 'r');
      const n = readSync(fd, this.buf, 0, this.buf.length, 0);
      return this.buf.toString('latin1', 0, n);
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  /** sum_exec_runtime of a thread now (the first field of its schedstat), or null. */
  private schedSum(tgid: number, pid: number): number | null {
    const s = this.read(`${this.procRoot}/${tgid}/task/${pid}/schedstat`);
    if (!s) return null;
    const v = Number.parseInt(s, 10);
    return Number.isFinite(v) ? v : null;
  }

  /** utime - guest and stime of a thread over its life (ticks), or null. */
  private taskTimes(tgid: number, pid: number): { usr: number; sys: number } | null {
    const s = this.read(`${this.procRoot}/${tgid}/task/${pid}/stat`);
    if (!s) return null;
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // proc(5): field 14 utime, 15 stime, 43 guest_time; f[0] is field 3.
    const usr = Number(f[11]) - (Number(f[40]) || 0);
    const sys = Number(f[12]);
    return Number.isFinite(usr) && Number.isFinite(sys) ? { usr: Math.max(0, usr), sys: Math.max(0, sys) } : null;
  }

  /** A process's comm (its leader's), escaped; '?' when gone. */
  private commOf(tgid: number): string {
    const s = this.read(`${this.procRoot}/${tgid}/comm`);
    return s === null ? '?' : escapeBytes(Buffer.from(s.replace(/\n$/, ''), 'latin1'));
  }
}

/** The NUL-terminated comm at `off` (16 bytes), escaped. */
function commOf(v: Buffer, off: number): string {
  let end = off;
  while (end < off + TOP_COMM_LEN && v[end] !== 0) end++;
  return escapeBytes(v.subarray(off, end));
}
