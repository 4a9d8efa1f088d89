// Shared life cycle of the BPF-backed probes: open the object, choose its syscall hooks
// (tracefs.ts: per-syscall tracepoints, or the tp_btf fallback), set its read-only config,
// load, attach every program; per tick report the programs' cost as differences of the
// kernel's cumulative run statistics; stop detaches and closes (idempotent).
import { BpfError } from '../bpf/error.js';
import { BpfObject, bpfObjectPath, type ProgStats } from '../bpf/object.js';
import { acquireStats, releaseStats } from '../bpf/stats.js';
import { chooseSyscallHooks, chooseSyscallHooksAsync, type HookChoice, type SyscallHooksChoice } from './tracefs.js';
import { counterDelta } from '../model/counter.js';
import { ProbeUnavailable, type Probe, type ProbeConfig, type ProbeCost } from './types.js';
import { applyCgroupFilter } from './cgroup/kernel-filter.js';

export abstract class BpfProbe<S, E = never> implements Probe<S, E> {
  /** The BPF object's basename: build/bpf/<name>.bpf.o. */
  abstract readonly name: string;
  readonly bpf = true;
  protected obj: BpfObject | null = null;
  private readonly meter = new CostMeter();
  /** Which syscall hooks to load when the object has both sets ('auto': tracepoints if tracefs allows). */
  protected syscallHooksChoice: SyscallHooksChoice = 'auto';
  /** The syscall hooks of the last start() and why the fallback was used; null: none to choose. */
  syscallHooks: HookChoice | null = null;

  /** Set `const volatile` globals here (between open and load). */
  protected configure(_obj: BpfObject, _config: ProbeConfig): void {}
  /** Attach the loaded programs (every one, by default). */
  protected attachPrograms(obj: BpfObject): void {
    obj.attachAll();
  }
  /** After load and attach: open ring buffers, read initial counters, ... */
  protected started(_obj: BpfObject, _config: ProbeConfig): void {}
  /** Before detach: close ring buffers, ... */
  protected stopping(): void {}
  /** Events lost in the interval that ends now (ring buffer or map full). */
  protected lostSinceLast(): number {
    return 0;
  }

  start(config: ProbeConfig): void {
    if (this.obj) return;
    const obj = BpfObject.open(bpfObjectPath(this.name));
    this.attach(obj, config, () => {
      this.syscallHooks = chooseSyscallHooks(obj, this.syscallHooksChoice);
      this.configure(obj, config);
      obj.load();
    });
  }

  /**
   * start() without holding the event loop: tracefs is mounted by an asynchronous mount(8) and
   * the verifier runs on the libuv thread pool (BpfObject.loadAsync). The manager uses this one.
   */
  async startAsync(config: ProbeConfig): Promise<void> {
    if (this.obj) return;
    const obj = BpfObject.open(bpfObjectPath(this.name));
    let failure: { e: unknown } | null = null;
    try {
      this.syscallHooks = await chooseSyscallHooksAsync(obj, this.syscallHooksChoice);
      this.configure(obj, config);
      await obj.loadAsync();
    } catch (e) {
      failure = { e };
    }
    this.attach(obj, config, () => {
      if (failure) throw failure.e;
    });
  }

  /** load (or report how loading failed), attach, take the first statistics; on failure close everything. */
  private attach(obj: BpfObject, config: ProbeConfig, load: () => void): void {
    let stats = false;
    try {
      load();
      // --cgroup before the first event can pass (objects with bpf/cgroup_filter.bpf.h).
      if (config.cgroups && obj.hasMap('cg_allow')) applyCgroupFilter(obj, config.cgroups);
      this.attachPrograms(obj);
      acquireStats();
      stats = true;
      this.obj = obj;
      this.meter.reset(obj);
      this.started(obj, config);
    } catch (e) {
      this.obj = null;
      if (stats) releaseStats();
      // A kernel without one of the hooks: the probe cannot run here at all, and says which.
      const missing = e instanceof BpfError && e.stage === 'load' ? obj.missingTpBtf() : [];
      try {
        this.stopping();
      } finally {
        obj.close();
      }
      if (missing.length) throw noHook(missing);
      const why = this.syscallHooks?.reason;
      if (why && e instanceof BpfError) {
        throw new BpfError(`${e.message} (tp_btf fallback: ${why})`, e.errno, e.code, e.stage, e.log);
      }
      throw e;
    }
  }

  abstract sample(): S;

  /** A live change of --cgroup: the object's filter maps follow (an object without them: nothing). */
  setCgroups(ids: readonly number[] | null): void {
    if (this.obj?.hasMap('cg_allow')) applyCgroupFilter(this.obj, ids);
  }

  cost(): ProbeCost {
    return this.obj ? this.meter.take(this.obj, this.lostSinceLast()) : {};
  }

  /** Kernel program ids of this probe (tests check they are gone after stop). */
  progIds(): number[] {
    return this.obj ? this.obj.progIds() : [];
  }

  stop(): void {
    const obj = this.obj;
    if (!obj) return;
    this.obj = null;
    this.meter.reset(null);
    releaseStats();
    try {
      this.stopping();
    } finally {
      obj?.detachAll();
      obj?.close();
    }
  }
}

/** A probe whose object needs tp_btf hooks this kernel lacks cannot run here at all, and says which. */
export function noHook(missing: readonly string[]): ProbeUnavailable {
  return new ProbeUnavailable(`this kernel has no tracepoint ${missing.join(', ')} (tp_btf/${missing[0]}${missing.length > 1 ? ', ...' : ''})`);
}

/** A probe's cost per interval: differences of its object's cumulative run statistics. */
export class CostMeter {
  private last: ProgStats | null = null;

  /** Start from this object's figures now (null: forget). */
  reset(obj: BpfObject | null): void {
    this.last = obj ? obj.stats() : null;
  }

  /** The interval since the previous call; `share`: this probe's part of the programs' figures (1: all). */
  take(obj: BpfObject, lost: number, share = 1): ProbeCost {
    const cur = obj.stats();
    const prev = this.last ?? cur;
    this.last = cur;
    const run_ns = Math.round(counterDelta(cur.runTimeNs, prev.runTimeNs) / share);
    const run_cnt = Math.round(counterDelta(cur.runCnt, prev.runCnt) / share);
    return { run_ns, run_cnt, ns_per_event: run_cnt > 0 ? run_ns / run_cnt : null, lost };
  }
}

/** Read a little-endian u64 as a number from its two halves (exact up to 2^53; no BigInt). */
export function u64n(b: Buffer, off: number): number {
  return b.readUInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
}

/** Read a little-endian u64 counter as a number (exact up to 2^53). */
export function u64(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off));
}

/** perfscope's own process left out (`self_tgid`, before load), unless --include-self. */
export function setSelfFilter(obj: BpfObject, config: ProbeConfig): void {
  if (config.selfTgid) obj.setGlobalU32('self_tgid', config.selfTgid);
}

/**
 * The -p and -c filters of an object that declares `targ_tgid`, `targ_comm_len` and
 * `targ_comm[16]` (comm_contains() in bpf/perfscope.bpf.h), set before load.
 */
export function setTaskFilter(obj: BpfObject, config: ProbeConfig): void {
  if (config.pid !== null && config.pid > 0) obj.setGlobalU32('targ_tgid', config.pid);
  setSelfFilter(obj, config);
  if (config.comm) {
    const bytes = Buffer.from(config.comm, 'utf8');
    // A comm holds at most 15 bytes: a longer text is in no comm (length 16 matches none).
    obj.setGlobalU32('targ_comm_len', bytes.length > 15 ? 16 : bytes.length);
    const c = Buffer.alloc(16);
    bytes.copy(c, 0, 0, 15);
    obj.setGlobal('targ_comm', c);
  }
}
