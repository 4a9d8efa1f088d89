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
import { STACK_PROC_LAYOUT, type StackKey } from './layout.js';
import { acquireResolver, releaseResolver, type StackResolver } from './resolve.js';
import { StackTable } from './table.js';

/**
 * Symbolization time allowed per interval and probe, on the main thread: lookups in tables that
 * are ready (their DWARF only while it lasts). Files and kallsyms are read on the addon's worker
 * thread whatever the budget; their frames are pending until then and resolve next time.
 */
export const SYMBOLIZE_BUDGET_MS = 50;

export interface Collected<V> {
  /** The listed rows, in the order asked for, resolved. */
  rows: (StackRow & { value: V })[];
  /** The values of the rows not listed. */
  rest: V[];
  counts: Record<string, number>;
  symbolizeMs: number;
}

export class StackCollector<V> {
  private readonly table: StackTable<V>;
  private readonly resolver: StackResolver;
  private ring: RingBufferReader | null;
  private readonly unflush: () => void;
  private closed = false;

  constructor(
    private readonly obj: BpfObject,
    config: ProbeConfig,
    fields: readonly string[],
    decode: (v: Buffer) => V,
  ) {
    this.table = new StackTable(obj, fields, decode);
    this.resolver = acquireResolver(config.procRoot);
    this.ring = new RingBufferReader(obj.map('procs'), (records) => {
      const f = STACK_PROC_LAYOUT.fields;
      for (const r of records) this.resolver.announce(r.readUInt32LE(f.tgid), r.readUInt32LE(f.mmid));
    });
    this.unflush = this.resolver.addFlusher(() => this.ring?.consume());
  }

  /** The interval's rows: `order` sorts them (hottest first), the first `max` are resolved. */
  take(order: (a: V, b: V) => number, max: number, budgetMs = SYMBOLIZE_BUDGET_MS): Collected<V> {
    this.ring?.consume();
    const got = this.table.take();
    got.rows.sort((a, b) => order(a.value, b.value) || a.key.tgid - b.key.tgid || a.key.pid - b.key.pid);
    const deadline = performance.now() + budgetMs;
    this.resolver.spentMs();
    const rows = got.rows.slice(0, max).map(({ key, value }) => ({ ...this.row(key, deadline), value }));
    const symbolizeMs = this.resolver.spentMs();
    const seen = this.obj.map('seen');
    for (const tgid of this.resolver.sweep()) seen.delete(u32(tgid));
    return { rows, rest: got.rows.slice(max).map((r) => r.value), counts: got.counts, symbolizeMs };
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
    releaseResolver(this.resolver);
  }
}
