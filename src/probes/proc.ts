// The `proc` probe: sysstat-style counters from /proc, the "60-second checklist" in one probe —
// load (uptime), mpstat -P ALL, vmstat 1, free, iostat -xz, sar -n DEV, sar -n TCP,ETCP and
// pidstat's busiest processes, with the same definitions and units (see proc/model.ts for each
// formula). No BPF, no root: every file it reads is world-readable.
//
// The readers (proc/readers.ts) return raw cumulative counters; the model (proc/model.ts) is pure.
// start() takes the first raw sample, so the first sample() reports rates since start().
//
// The top table (pidstat -u): from the scheduler when BPF can be used (the top part of the
// scheduler object, proc/kernel-top.ts: only the processes that ran are touched), else — no root,
// --no-bpf, a fixture tree, or the part failed to start — from /proc/PID/stat of every process, as
// pidstat (proc/readers.ts PidStatReader). `topSource` says which.
import { PidStatReader, readRaw } from './proc/readers.js';
import { computeCounters, elapsedSeconds } from './proc/model.js';
import type { CountersSample, RawSample } from './proc/types.js';
import type { Probe, ProbeConfig, ProbeCost } from './types.js';
import { cgroupOfPid, cgroupRef } from './cgroup/registry.js';
import { KernelTop } from './proc/kernel-top.js';

export interface ProcProbeOptions {
  /** Monotonic clock in ns (tests pass a fake one). */
  clock?: () => bigint;
  /** The top table from the scheduler when BPF can be used (default true; false: always /proc). */
  kernelTop?: boolean;
}

export class ProcProbe implements Probe<CountersSample> {
  readonly bpf = false;
  private root = '/proc';
  private prev: RawSample | null = null;
  private pids: PidStatReader | null = null;
  private pinned: number | null = null;
  private self: number | null = null;
  private readonly clock: () => bigint;
  private readonly wantKernel: boolean;
  private kernel: KernelTop | null = null;
  /** pid → v2 cgroup id of the kernel's top rows this interval (reused). */
  private readonly cgroupIds = new Map<number, number>();
  /** Why the top table is not from the scheduler (null while it is, or before start). */
  kernelTopError: string | null = null;

  constructor(opts: ProcProbeOptions = {}) {
    this.clock = opts.clock ?? (() => process.hrtime.bigint());
    this.wantKernel = opts.kernelTop ?? true;
  }

  /** Where the top table comes from now. */
  get topSource(): 'sched' | 'proc' {
    return this.kernel ? 'sched' : 'proc';
  }

  /** May the top table come from the scheduler? (root, BPF allowed, the real /proc) */
  private kernelWanted(config: ProbeConfig): boolean {
    if (!this.wantKernel || config.bpf === false) return false;
    if ((config.procRoot || '/proc') !== '/proc' || process.geteuid?.() !== 0) return false;
    return true;
  }

  start(config: ProbeConfig): void {
    this.kernelTopError = null;
    // The first raw sample before the scheduler object loads (a sync load takes a while): the
    // counters' interval starts when start() is called.
    this.begin(config);
    if (!this.kernelWanted(config)) return this.fromProc();
    const k = new KernelTop();
    try {
      k.start(config);
    } catch (e) {
      this.kernelTopError = e instanceof Error ? e.message : String(e);
      return this.fromProc();
    }
    this.kernel = k;
    k.sample(); // its first generation starts now
  }

  /** The manager's way: the scheduler object loads without holding the event loop. */
  async startAsync(config: ProbeConfig): Promise<void> {
    this.kernelTopError = null;
    let k: KernelTop | null = null;
    if (this.kernelWanted(config)) {
      k = new KernelTop();
      try {
        await k.startAsync(config);
      } catch (e) {
        this.kernelTopError = e instanceof Error ? e.message : String(e);
        k = null;
      }
    }
    try {
      this.begin(config);
    } catch (e) {
      k?.stop();
      throw e;
    }
    if (!k) return this.fromProc();
    this.kernel = k;
    k.sample();
  }

  /** The first raw sample, without the processes. Throws (ENOENT on /proc/stat...) when there is no usable proc filesystem: the manager marks the probe unavailable. */
  private begin(config: ProbeConfig): void {
    this.stop();
    this.root = config.procRoot || '/proc';
    this.pinned = config.pinnedCpu;
    this.self = config.selfTgid ?? null;
    this.prev = readRaw(this.root, this.clock, false);
  }

  /** The top table from /proc/PID/stat of every process (pidstat's way): its first read. */
  private fromProc(): void {
    this.pids = new PidStatReader(this.root);
    try {
      if (this.prev) this.prev.procs = this.pids.read();
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  sample(): CountersSample {
    if (!this.prev) throw new Error('proc probe: sample() before start()');
    const cur = readRaw(this.root, this.clock, this.pids ?? false);
    const k = this.kernel?.sample() ?? null;
    const out = computeCounters(cur, this.prev, elapsedSeconds(cur, this.prev), { pinnedCpu: this.pinned, excludePid: this.self, kernelTop: k });
    if (k?.lost) out.top_lost = k.lost;
    this.prev = cur;
    // The top rows' cgroups: as the kernel saw them at a switch-out (the table from the
    // scheduler), else from /proc/PID/cgroup (a small read per row listed: the /proc table, or a
    // task still on its CPU since the interval began).
    const ids = this.cgroupIds;
    ids.clear();
    for (const r of k?.rows ?? []) if (r.cgroupId) ids.set(r.pid, r.cgroupId);
    for (const r of [...out.top, ...(out.top_on_pinned ?? [])]) {
      const id = ids.get(r.pid);
      const cg = id !== undefined ? cgroupRef(id) : cgroupOfPid(this.root, r.pid);
      if (cg) r.cgroup = cg;
    }
    return out;
  }

  setPinnedCpu(cpu: number | null): void {
    this.pinned = cpu;
  }

  /** The top part's share of the scheduler program's cost (nothing with the table from /proc). */
  cost(): ProbeCost {
    return this.kernel?.cost() ?? {};
  }

  /** Releases the kept /proc/PID/stat fds and the scheduler's top part. Safe to call twice. */
  stop(): void {
    this.prev = null;
    const k = this.kernel;
    this.kernel = null;
    k?.stop();
    this.pids?.close();
    this.pids = null;
  }
}

/**
 * Cost of one tick (read every file + compute the model against the previous read), for
 * `npm run bench`: `iterations` ticks back to back, after one warm-up read.
 */
export function measureProcTick(root = '/proc', iterations = 50): { median_ms: number; min_ms: number; max_ms: number; processes: number } {
  // The probe's way: /proc/PID/stat kept open between ticks.
  const pids = new PidStatReader(root);
  try {
    return measure(root, iterations, pids);
  } finally {
    pids.close();
  }
}

function measure(root: string, iterations: number, pids: PidStatReader): { median_ms: number; min_ms: number; max_ms: number; processes: number } {
  let prev = readRaw(root, undefined, pids);
  const times: number[] = [];
  let processes = prev.procs.size;
  for (let i = 0; i < Math.max(1, iterations); i++) {
    const t0 = process.hrtime.bigint();
    const cur = readRaw(root, undefined, pids);
    computeCounters(cur, prev, Math.max(1e-9, elapsedSeconds(cur, prev)));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    prev = cur;
    processes = cur.procs.size;
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { median_ms: r3(median), min_ms: r3(times[0]), max_ms: r3(times[times.length - 1]), processes };
}
