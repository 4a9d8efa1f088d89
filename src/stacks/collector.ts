// What both stack-collecting probes do with their object each interval (profile.ts and the
// off-CPU stacks of offcpu-stacks.ts): hear the address spaces the kernel announces, take the
// generation the program left (src/stacks/table.ts), symbolize its hottest rows within a time
// budget, and let the kernel forget the processes that are gone.
import { RingBufferReader } from '../bpf/ringbuf.js';
import type { BpfObject } from '../bpf/object.js';
import { u32 } from '../bpf/map.js';
import type { ProbeConfig } from '../probes/types.js';
import { cgroupRef } from '../probes/cgroup/registry.js';
import type { StackRow } from './frames.js';
import { decodeStackKey, STACK_KEY_LAYOUT, STACK_PROC_LAYOUT, STACK_SAMPLE_LAYOUT, type StackKey } from './layout.js';
import { acquireResolver, releaseResolver, type StackResolver } from './resolve.js';
import { StackTable } from './table.js';

/**
 * Symbolization time allowed per interval and probe, on the main thread: lookups in tables that
 * are ready (their DWARF only while it lasts). Files and kallsyms are read on the addon's worker
 * thread whatever the budget; their frames are pending until then and resolve next time.
 */
export const SYMBOLIZE_BUDGET_MS = 50;

/** Rows of unwound samples held per generation (as the kernel's hash: the rest is counted lost). */
const MAX_UNWOUND_ROWS = 16384;
/** Samples held for a second unwinding (their modules not parsed yet), at most. */
const MAX_DEFERRED = 2048;
/** NativeUnwound.via: found by frame pointer because a module's tables were not parsed yet. */
const VIA_FP_PENDING = 4;
/** How often the ring buffer of copied stacks is drained between intervals, ms. */
const SAMPLE_DRAIN_MS = 250;

/** What a probe's samples of the ring buffer `samples` (struct stack_sample) count as. */
export interface SampleValue<V> {
  /** One record's value. */
  of(rec: Buffer): V;
  /** Two values of one row, summed. */
  add(a: V, b: V): V;
}

export interface Collected<V> {
  /** The listed rows, in the order asked for, resolved. */
  rows: (StackRow & { value: V })[];
  /** The values of the rows not listed. */
  rest: V[];
  counts: Record<string, number>;
  symbolizeMs: number;
  /** User stacks unwound in user space this interval, and the milliseconds it took. */
  unwound: number;
  unwindMs: number;
}

export class StackCollector<V> {
  private readonly table: StackTable<V>;
  private readonly resolver: StackResolver;
  private ring: RingBufferReader | null;
  private samples: RingBufferReader | null = null;
  private drainTimer: ReturnType<typeof setInterval> | null = null;
  private sample: SampleValue<V> | null = null;
  /** Copies of samples to unwind again once their modules' tables are parsed. */
  private deferred: Buffer[] = [];
  private readonly unflush: () => void;
  private closed = false;
  /** Unwound samples' rows by generation (the record says which), keyed by rowId(). */
  private readonly unwoundRows: [Map<string, { key: StackKey; value: V }>, Map<string, { key: StackKey; value: V }>] = [new Map(), new Map()];
  private readonly unwoundLost = [0, 0];
  private unwindCount = 0;
  private unwindMs = 0;

  /** `sample`: the object copies user stacks into its ring buffer `samples` for unwinding here. */
  constructor(
    private readonly obj: BpfObject,
    config: ProbeConfig,
    fields: readonly string[],
    decode: (v: Buffer) => V,
    sample?: SampleValue<V>,
  ) {
    this.table = new StackTable(obj, fields, decode);
    this.resolver = acquireResolver(config.procRoot);
    this.ring = new RingBufferReader(obj.map('procs'), (records) => {
      const f = STACK_PROC_LAYOUT.fields;
      for (const r of records) this.resolver.announce(r.readUInt32LE(f.tgid), r.readUInt32LE(f.mmid));
    });
    this.unflush = this.resolver.addFlusher(() => this.ring?.consume());
    if (sample) {
      this.sample = sample;
      this.samples = new RingBufferReader(obj.map('samples'), (records) => this.onSamples(records, false));
      // The kernel does not wake us per record (BPF_RB_NO_WAKEUP: no wake-up costs in the
      // sampled context); the copies are drained this often so the ring does not fill up
      // between two intervals (an off-CPU copy per context switch).
      this.drainTimer = setInterval(() => this.samples?.consume(), SAMPLE_DRAIN_MS);
      this.drainTimer.unref();
    }
  }

  /**
   * Samples whose user stack the kernel copied (bpf/stacks.h, struct stack_sample): unwound
   * now (the copy is not kept), counted into their generation's rows. Read every 250 ms and at
   * each take(). A sample with a frame found by frame pointer only because its module's tables
   * were not parsed yet (a new process) is kept (copied, at most MAX_DEFERRED) and unwound
   * again at the next read, until its interval ends (`final`).
   */
  private onSamples(records: Buffer[], final: boolean): void {
    const sample = this.sample;
    if (!sample) return;
    this.ring?.consume(); // announcements first: the unwinder needs the address space
    const f = STACK_SAMPLE_LAYOUT.fields;
    const deadline = performance.now() + SYMBOLIZE_BUDGET_MS;
    const again = new Set(this.deferred);
    this.deferred = [];
    for (const r of [...again, ...records]) {
      if (r.length < f.stack) continue;
      const gen = r.readUInt32LE(f.gen) & 1;
      const key = decodeStackKey(r.subarray(0, STACK_KEY_LAYOUT.size));
      const ip = r.readBigUInt64LE(f.ip);
      if (key.mmid && ip !== 0n) {
        const len = Math.min(r.readUInt32LE(f.stack_len), r.length - f.stack);
        const t0 = performance.now();
        const u = this.resolver.unwind(
          key.tgid,
          key.mmid,
          { ip, sp: r.readBigUInt64LE(f.sp), bp: r.readBigUInt64LE(f.bp) },
          r.subarray(f.stack, f.stack + len),
          deadline,
        );
        this.unwindMs += performance.now() - t0; // every attempt's time
        if (u && !final && u.via.includes(VIA_FP_PENDING) && this.deferred.length < MAX_DEFERRED) {
          this.deferred.push(again.has(r) ? r : Buffer.from(r));
          continue;
        }
        this.unwindCount++; // stacks, each once
        if (u) {
          key.user = u.user;
          key.via = u.via;
          key.userTruncated = u.truncated;
        }
      }
      const rows = this.unwoundRows[gen];
      const id = rowId(key);
      const had = rows.get(id);
      const v = sample.of(r);
      if (had) had.value = sample.add(had.value, v);
      else if (rows.size < MAX_UNWOUND_ROWS) rows.set(id, { key, value: v });
      else this.unwoundLost[gen]++;
    }
  }

  /** The interval's rows: `order` sorts them (hottest first), the first `max` are resolved. */
  take(order: (a: V, b: V) => number, max: number, budgetMs = SYMBOLIZE_BUDGET_MS): Collected<V> {
    this.ring?.consume();
    const got = this.table.take();
    // The generation left: its samples are all in the ring now (the flip waited for them); the
    // deferred ones are unwound as they can be now.
    this.samples?.consume();
    if (this.deferred.length) this.onSamples([], true);
    const gen = this.table.lastGen;
    for (const r of this.unwoundRows[gen].values()) got.rows.push(r);
    this.unwoundRows[gen].clear();
    if (this.unwoundLost[gen]) got.counts.lost = (got.counts.lost ?? 0) + this.unwoundLost[gen];
    this.unwoundLost[gen] = 0;
    got.rows.sort((a, b) => order(a.value, b.value) || a.key.tgid - b.key.tgid || a.key.pid - b.key.pid);
    const deadline = performance.now() + budgetMs;
    this.resolver.spentMs();
    const rows = got.rows.slice(0, max).map(({ key, value }) => ({ ...this.row(key, deadline), value }));
    const symbolizeMs = this.resolver.spentMs();
    const seen = this.obj.map('seen');
    for (const tgid of this.resolver.sweep()) seen.delete(u32(tgid));
    const unwound = this.unwindCount;
    const unwindMs = this.unwindMs;
    this.unwindCount = 0;
    this.unwindMs = 0;
    return { rows, rest: got.rows.slice(max).map((r) => r.value), counts: got.counts, symbolizeMs, unwound, unwindMs };
  }

  private row(key: StackKey, deadline: number): StackRow {
    const { user, kernel } = this.resolver.resolve(key, deadline);
    const row: StackRow = { pid: key.pid || key.tgid, tgid: key.tgid, comm: key.comm, frames: [...user, ...kernel], user_frames: user.length };
    if (key.kernelTruncated || key.userTruncated) row.truncated = true;
    row.cgroup = cgroupRef(key.cgroup);
    return row;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unflush();
    this.ring?.close();
    this.ring = null;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    this.samples?.close();
    this.samples = null;
    releaseResolver(this.resolver);
  }
}

/** A row's identity: the task and both stacks' addresses (as the kernel's hash key). */
function rowId(k: StackKey): string {
  return `${k.pid}:${k.tgid}:${k.mmid}:${k.cgroup}:${k.comm}|${k.kernel.join(',')}|${k.user.join(',')}`;
}
