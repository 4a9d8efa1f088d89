// Shared user side of the event feeds (exec, open, tcp): one ring buffer `events` read on the
// main loop, decoded once into plain objects, and kept in two bounded queues so that the two
// readers of a feed never steal from each other:
//   - sample() (once per tick, for --json and the store) returns and clears the interval list:
//     every event since the previous sample(), in order, at most `intervalMax` (default
//     FEED_INTERVAL_MAX = 50,000). Events beyond it are not kept and are counted as lost.
//   - drain() (the screen, ~10 Hz) returns and clears the recent list: the events since the
//     previous drain(), in order, at most `recentMax` (default FEED_RECENT_MAX = 5,000) newest;
//     older ones are skipped for the screen only (they are still in sample() and --json).
// Delivery: the ring buffer's reader is woken by the kernel (libuv polls its epoll fd), and
// sample() and drain() also consume synchronously first. The open and tcp programs wake the
// reader only once 64 KiB are waiting (feed_wakeup in bpf/feed.bpf.h: a wake-up per event costs
// more than the event), so their quiet events arrive at the next drain()/sample().
// Losses are never silent: cost().lost = events the kernel could not queue (ring buffer full:
// per-CPU cumulative `drops` counter, summed over CPUs, difference since the previous cost())
// + events that did not fit in the interval list since then.
//
// Filters: config.pid is a kernel filter (`targ_tgid`, set before load), so kernel drops are
// for that process only. config.comm (substring) is applied here, on the decoded (escaped)
// comm: drops counted by the kernel may include events that this filter would have hidden.
//
// Time: the kernel stamps events with bpf_ktime_get_ns (CLOCK_MONOTONIC), the very clock that
// process.hrtime reads, so the conversion to wall-clock milliseconds (`ts`, ms since the epoch,
// sub-millisecond fraction) is exact up to a constant offset taken from performance.timeOrigin
// (sub-ms) and re-checked at each sample() against Date.now() (a stepped wall clock is
// followed at 1 ms precision). CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) cannot be read from
// Node with better than /proc/uptime's 10 ms, which is why it is not used.
import type { BpfObject } from './bpf/object.js';
import { RingBufferReader } from './bpf/ringbuf.js';
import { counterDelta } from '../model/counter.js';
import { BpfProbe, setSelfFilter, u64 } from './bpf-probe.js';
import type { SyscallHooksChoice } from './tracefs.js';
import type { ProbeConfig } from './types.js';
import type { FeedEventBase } from './feed-spec.js';

export const FEED_INTERVAL_MAX = 50_000;
export const FEED_RECENT_MAX = 5_000;

export interface FeedLimits {
  intervalMax?: number;
  recentMax?: number;
  /** Syscall hooks (tracefs.ts): 'auto' (default) = per-syscall tracepoints when tracefs can be
   * used, else the tp_btf/sys_enter|sys_exit fallback; 'tp_btf' = the fallback. */
  syscallHooks?: SyscallHooksChoice;
}

/** Converts kernel CLOCK_MONOTONIC nanoseconds into epoch milliseconds. */
export class FeedClock {
  private offsetMs = 0;
  constructor() {
    this.sync();
  }
  sync(): void {
    const monoMs = Number(process.hrtime.bigint()) / 1e6;
    const precise = performance.timeOrigin + performance.now();
    const now = Date.now();
    // performance.timeOrigin is fixed at process start: if the wall clock was stepped since,
    // follow Date.now() instead (1 ms precision).
    const wall = Math.abs(precise - now) < 2 ? precise : now;
    this.offsetMs = wall - monoMs;
  }
  /** A u64 CLOCK_MONOTONIC timestamp (ns) read at `off` in `b`. */
  wallMs(b: Buffer, off: number): number {
    const ns = b.readBigUInt64LE(off);
    const ms = Number(ns / 1_000_000n);
    const frac = Number(ns % 1_000_000n) / 1e6;
    return ms + this.offsetMs + frac;
  }
}

export abstract class FeedProbe<E extends FeedEventBase> extends BpfProbe<E[], E> {
  private reader: RingBufferReader | null = null;
  private interval: E[] = [];
  private recent: E[] = [];
  private overflow = 0;
  private lastDrops = 0;
  private startDrops = 0;
  private commFilter: string | null = null;
  protected readonly clock = new FeedClock();
  readonly intervalMax: number;
  readonly recentMax: number;
  /** Totals since start: events decoded and kept by the filters, and user-side overflow. */
  totals = { received: 0, overflow: 0 };

  constructor(limits: FeedLimits = {}) {
    super();
    this.intervalMax = limits.intervalMax ?? FEED_INTERVAL_MAX;
    this.recentMax = limits.recentMax ?? FEED_RECENT_MAX;
    this.syscallHooksChoice = limits.syscallHooks ?? 'auto';
  }

  /** Decode one ring buffer record (a view: copy nothing by reference). null = ignore it. */
  protected abstract decode(rec: Buffer): E | null;

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    if (config.pid !== null && config.pid > 0) obj.setGlobalU32('targ_tgid', config.pid);
    setSelfFilter(obj, config);
    this.commFilter = config.comm ? config.comm : null;
  }

  protected override started(obj: BpfObject, _config: ProbeConfig): void {
    this.clock.sync();
    this.lastDrops = this.startDrops = this.readDrops();
    this.reader = new RingBufferReader(obj.map('events'), (records) => this.onBatch(records));
  }

  protected override stopping(): void {
    // Keep what is already in the ring buffer: it is still returned by sample()/drain().
    try {
      this.reader?.consume();
    } finally {
      this.reader?.close();
      this.reader = null;
    }
  }

  private onBatch(records: Buffer[]): void {
    const comm = this.commFilter;
    for (const rec of records) {
      const ev = this.decode(rec);
      if (!ev) continue;
      if (comm !== null && !ev.comm.includes(comm)) continue;
      this.totals.received++;
      if (this.interval.length < this.intervalMax) this.interval.push(ev);
      else {
        this.overflow++;
        this.totals.overflow++;
      }
      this.recent.push(ev);
    }
    if (this.recent.length > 2 * this.recentMax) {
      this.recent = this.recent.slice(this.recent.length - this.recentMax);
    }
  }

  /** Deliver what the kernel has queued so far (normally done by the ring buffer's poll). */
  consume(): void {
    this.reader?.consume();
  }

  /** The events of the interval since the previous sample(), in order (bounded: see above). */
  sample(): E[] {
    this.consume();
    this.clock.sync();
    const out = this.interval;
    this.interval = [];
    return out;
  }

  /** The events since the previous drain(), in order, at most recentMax (the newest). */
  drain(): E[] {
    this.consume();
    let out = this.recent;
    this.recent = [];
    if (out.length > this.recentMax) out = out.slice(out.length - this.recentMax);
    return out;
  }

  /** Cumulative kernel drops summed over CPUs. */
  private readDrops(): number {
    if (!this.obj) return this.lastDrops;
    const per = this.obj.map('drops').lookupPerCpu(Buffer.alloc(4)) ?? [];
    let n = 0;
    for (const b of per) n += u64(b, 0);
    return n;
  }

  /** Kernel drops (ring buffer full) since start(), whatever cost() has reported. */
  kernelDropsSinceStart(): number {
    return this.readDrops() - this.startDrops;
  }

  protected override lostSinceLast(): number {
    const d = this.readDrops();
    const kernel = counterDelta(d, this.lastDrops);
    this.lastDrops = d;
    const user = this.overflow;
    this.overflow = 0;
    return kernel + user;
  }
}
