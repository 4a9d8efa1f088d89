// Shared user side of the event feeds (exec, open, tcp): one ring buffer `events`, drained by a
// native thread of its own (FeedReader, native/ringbuf.h) as soon as the kernel wakes it, into
// two bounded queues of raw records, decoded into plain objects only when taken, so that the
// two readers of a feed never steal from each other and a busy main thread (a frame, a --json
// line, a garbage collection) never leaves the ring buffer to fill:
//   - sample() (once per tick, for --json and the store) returns and clears the interval list:
//     every event since the previous sample(), in order, at most `intervalMax` (default
//     FEED_INTERVAL_MAX = 50,000; the feed's --<feed>-max option) and at most
//     FEED_INTERVAL_MAX_BYTES (16 MiB) of their --json text; the native queue holds at most
//     FEED_QUEUE_MAX_BYTES (32 MiB) of raw records. Events beyond any of these are not kept (nor
//     decoded) and are counted as lost. In count mode (keepNewest(n): the screen's manager, whose store
//     shows an interval's count and its newest event only) only the newest n are kept and
//     decoded; the list then carries the interval's full count as `total` (feedCount()), and
//     the others are not lost, merely not decoded.
//   - drain() (the screen, ~10 Hz) returns and clears the recent list: the events since the
//     previous drain(), in order, at most `recentMax` (default FEED_RECENT_MAX = 500, what the
//     store keeps per feed) newest; older ones are skipped for the screen only.
// Delivery: the thread waits on the ring buffer's epoll fd; sample() and drain() also consume
// synchronously first. The open and tcp programs wake the reader only once 64 KiB are waiting
// (feed_wakeup in bpf/feed.bpf.h: a wake-up per event costs more than the event), so their
// quiet events arrive at the next drain()/sample().
// Losses are never silent: cost().lost = events the kernel could not queue (ring buffer full:
// per-CPU cumulative `drops` counter, summed over CPUs, difference since the previous cost())
// + events that did not fit in the interval list since then.
//
// Filters: config.pid is a kernel filter (`targ_tgid`, set before load), so kernel drops are
// for that process only. config.comm (substring) is applied by the reader thread to the raw
// comm bytes (up to their NUL), before either list: drops counted by the kernel may include
// events that this filter would have hidden.
//
// Time: the kernel stamps events with bpf_ktime_get_ns (CLOCK_MONOTONIC), the very clock that
// process.hrtime reads, so the conversion to wall-clock milliseconds (`ts`, ms since the epoch,
// sub-millisecond fraction) is exact up to a constant offset taken from performance.timeOrigin
// (sub-ms) and re-checked at each sample() against Date.now() (a stepped wall clock is
// followed at 1 ms precision). CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) cannot be read from
// Node with better than /proc/uptime's 10 ms, which is why it is not used.
import type { BpfObject } from '../bpf/object.js';
import { FeedReader } from '../bpf/ringbuf.js';
import { counterDelta } from '../model/counter.js';
import { BpfProbe, setSelfFilter, u64, u64n } from './bpf-probe.js';
import type { SyscallHooksChoice } from './tracefs.js';
import type { ProbeConfig } from './types.js';
import { FEED_INTERVAL_MAX, FEED_INTERVAL_MAX_BYTES, FEED_QUEUE_MAX_BYTES, type FeedEventBase, type FeedEvents } from './feed-spec.js';
import { rememberJson } from '../model/json-text.js';
import type { OptionValue } from './types.js';
import { depositCgroupEvents, idleRows } from './cgroup/event-counts.js';

export { FEED_INTERVAL_MAX };
/** The store keeps FEED_CAPACITY (500) lines per feed for the screen: more are never shown. */
export const FEED_RECENT_MAX = 500;

export interface FeedLimits {
  intervalMax?: number;
  /** Bytes of --json text of an interval's events (FEED_INTERVAL_MAX_BYTES). */
  intervalMaxBytes?: number;
  /** Bytes of raw records the native interval queue holds (FEED_QUEUE_MAX_BYTES). */
  queueMaxBytes?: number;
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
    // Two u32 halves, not a BigInt (several times faster): exact below 2^53 ns (104 days of
    // uptime); beyond it the sub-ms fraction loses a few ns.
    const ns = b.readUInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
    const ms = Math.floor(ns / 1e6);
    return ms + this.offsetMs + (ns - ms * 1e6) / 1e6;
  }
}

export abstract class FeedProbe<E extends FeedEventBase> extends BpfProbe<FeedEvents<E>, E> {
  private reader: FeedReader | null = null;
  private overflow = 0;
  private totalOverflow = 0;
  private lastDrops = 0;
  private startDrops = 0;
  private newest: number | null = null;
  /** cg_events as last read (cumulative per cgroup id), and when. */
  private cgPrev = new Map<number, number>();
  private cgAt = 0;
  private cgLost = 0;
  protected readonly clock = new FeedClock();
  intervalMax: number;
  readonly intervalMaxBytes: number;
  readonly queueMaxBytes: number;
  readonly recentMax: number;
  /** The comm field of the feed's record (for the reader's comm filter). */
  protected abstract readonly commField: { offset: number; len: number };
  /** The feed's own option that sets intervalMax (ProbeSpec.options), e.g. "open-max". */
  protected abstract readonly maxFlag: string;

  constructor(limits: FeedLimits = {}) {
    super();
    this.intervalMax = limits.intervalMax ?? FEED_INTERVAL_MAX;
    this.intervalMaxBytes = limits.intervalMaxBytes ?? FEED_INTERVAL_MAX_BYTES;
    this.queueMaxBytes = limits.queueMaxBytes ?? FEED_QUEUE_MAX_BYTES;
    this.recentMax = limits.recentMax ?? FEED_RECENT_MAX;
    this.syscallHooksChoice = limits.syscallHooks ?? 'auto';
  }

  /** Totals since start: events received (passed the filters; kept or only counted), and user-side overflow. */
  get totals(): { received: number; overflow: number } {
    return { received: this.reader?.stats().received ?? 0, overflow: this.totalOverflow };
  }

  /** Is the reader thread real-time (SCHED_FIFO)? null before start. */
  readerRealtime(): boolean | null {
    return this.reader ? this.reader.stats().realtime : null;
  }

  /**
   * Count mode (n = the newest events to keep per interval) or, with null, the full interval
   * list (at most intervalMax). The manager picks it by what its sinks read.
   */
  keepNewest(n: number | null): void {
    this.newest = n;
    this.reader?.setInterval(n ?? this.intervalMax, n !== null);
  }

  /** A live change of the feed's per-interval cap (its only setting). */
  setOption(flag: string, value: OptionValue): Promise<void> {
    if (flag === this.maxFlag && typeof value === 'number') {
      this.intervalMax = value;
      if (this.newest === null) this.reader?.setInterval(value, false);
    }
    return Promise.resolve();
  }

  /** Decode one ring buffer record (a view: copy nothing by reference). null = ignore it. */
  protected abstract decode(rec: Buffer): E | null;

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    if (config.pid !== null && config.pid > 0) obj.setGlobalU32('targ_tgid', config.pid);
    setSelfFilter(obj, config);
    const max = config.options?.[this.maxFlag];
    if (typeof max === 'number') this.intervalMax = max;
  }

  protected override started(obj: BpfObject, config: ProbeConfig): void {
    this.clock.sync();
    this.lastDrops = this.startDrops = this.readDrops();
    this.overflow = this.totalOverflow = 0;
    this.cgPrev = this.readCgroupEvents();
    this.cgAt = performance.now();
    this.cgLost = this.readCgroupLost();
    this.reader = new FeedReader(obj.map('events'), {
      intervalMax: this.newest ?? this.intervalMax,
      intervalNewest: this.newest !== null,
      intervalMaxBytes: this.queueMaxBytes,
      recentMax: this.recentMax,
      comm: config.comm ? { ...this.commField, text: config.comm } : null,
    });
  }

  protected override stopping(): void {
    // Keep what is already in the ring buffer: it is still returned by sample()/drain().
    this.reader?.close();
    depositCgroupEvents(this.name, null);
  }

  /** The kernel's cumulative events per cgroup (cg_events). */
  private readCgroupEvents(): Map<number, number> {
    const m = new Map<number, number>();
    if (!this.obj?.hasMap('cg_events')) return m;
    for (const [k, v] of this.obj.map('cg_events').entries()) m.set(u64n(k, 0), u64n(v, 0));
    return m;
  }

  /** cg_events_lost summed over CPUs (cumulative). */
  private readCgroupLost(): number {
    if (!this.obj?.hasMap('cg_events_lost')) return 0;
    let n = 0;
    for (const b of this.obj.map('cg_events_lost').lookupPerCpu(Buffer.alloc(4)) ?? []) n += u64n(b, 0);
    return n;
  }

  /** This interval's events per cgroup, for the containers probe (src/probes/cgroup/event-counts.ts). */
  private depositCgroupCounts(): void {
    const cur = this.readCgroupEvents();
    const t = performance.now();
    const counts = new Map<number, number>();
    for (const [id, n] of cur) {
      const d = n - (this.cgPrev.get(id) ?? 0);
      if (d > 0) counts.set(id, d);
    }
    const lostNow = this.readCgroupLost();
    depositCgroupEvents(this.name, { counts, seconds: Math.max((t - this.cgAt) / 1000, 1e-3), lost: counterDelta(lostNow, this.cgLost) });
    this.cgLost = lostNow;
    if (this.obj) {
      const m = this.obj.map('cg_events');
      for (const id of idleRows(cur, this.cgPrev, (a, b) => a === b, m.maxEntries)) {
        const k = Buffer.alloc(8);
        k.writeBigUInt64LE(BigInt(id));
        m.delete(k);
        cur.delete(id);
      }
    }
    this.cgPrev = cur;
    this.cgAt = t;
  }

  private decodeAll(records: Buffer[]): E[] {
    const out: E[] = [];
    for (const rec of records) {
      const ev = this.decode(rec);
      if (ev) out.push(ev);
    }
    return out;
  }

  /** The events of the interval since the previous sample(), in order (bounded: see above). */
  sample(): FeedEvents<E> {
    this.clock.sync();
    if (!this.reader) return [];
    const t = this.reader.take(0);
    this.overflow += t.overflow;
    this.totalOverflow += t.overflow;
    if (this.newest !== null) {
      const out: FeedEvents<E> = this.decodeAll(t.records);
      out.total = t.seen;
      this.depositCgroupCounts();
      return out;
    }
    // Every event up to intervalMaxBytes of --json text (measured once: the writers reuse the
    // text); the rest is neither decoded nor kept, and counted as lost.
    const out: FeedEvents<E> = [];
    let bytes = 0;
    for (let i = 0; i < t.records.length; i++) {
      const ev = this.decode(t.records[i]);
      if (!ev) continue;
      const text = rememberJson(ev);
      bytes += (text === undefined ? 4 : Buffer.byteLength(text)) + 1;
      if (bytes > this.intervalMaxBytes) {
        const cut = t.records.length - i;
        this.overflow += cut;
        this.totalOverflow += cut;
        break;
      }
      out.push(ev);
    }
    this.depositCgroupCounts();
    return out;
  }

  /** The events since the previous drain(), in order, at most recentMax (the newest). */
  drain(): E[] {
    return this.reader ? this.decodeAll(this.reader.take(1).records) : [];
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
