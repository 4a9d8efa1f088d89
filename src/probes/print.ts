// print feed: one event per hit of the --print targets (bpf/print.bpf.c), attached as the trace
// probe attaches its own (trace-attach.ts: one slot each, the slot as cookie). Nothing is loaded
// before the first target; once loaded the object stays (with no target, nothing is attached).
import type { BpfObject } from '../bpf/object.js';
import { u32 } from '../bpf/map.js';
import { watchWord } from './cpus.js';
import { u64n } from './bpf-probe.js';
import { cgroupRef } from './cgroup/registry.js';
import { FeedProbe } from './feed.js';
import { feedMaxFlag } from './feed-spec.js';
import type { PrintEvent } from './print-spec.js';
import { cString } from './strings.js';
import { attachSlot, attachWhy, detachSlots, refusedError, type SlotPrograms } from './trace-attach.js';
import { hostEvents, resolveTargets, TraceArgError, TRACE_MAX_TARGETS, type TraceTarget } from './trace-events.js';
import { ProbeArgError, type ProbeConfig } from './types.js';
import { addon } from '../bpf/addon.js';
import { registerElfReader } from './trace-user.js';

registerElfReader(addon);

/** Mirrors bpf/print.h. */
export const PRINT_COMM_LEN = 16;
const PRINT_F_VALUE = 1;
const PRINT_F_SIGNED = 2;
const PRINT_F_STR = 4;
const PRINT_F_TRUNC = 8;
/** Bytes of a string kept (bpf/print.h): a longer one is cut there and flagged `truncated`. */
export const PRINT_STR_LEN = 128;
const PRINT_STR_BUF = 136;
const OFF = { ts_ns: 0, pid: 8, tid: 12, slot: 16, flags: 20, value: 24, cgroup: 32, comm: 40 } as const;
export const PRINT_LAYOUT = { struct: 'print_event', size: 40 + PRINT_COMM_LEN, fields: OFF } as const;
const STR_OFF = { e: 0, str_len: PRINT_LAYOUT.size, pad: PRINT_LAYOUT.size + 4, str: PRINT_LAYOUT.size + 8 } as const;
export const PRINT_STR_LAYOUT = { struct: 'print_str_event', size: STR_OFF.str + PRINT_STR_BUF, fields: STR_OFF, strBuf: PRINT_STR_BUF } as const;
const PROGS: SlotPrograms = { tracepoint: 'print_tp', uprobe: 'print_uprobe', uretprobe: 'print_uretprobe', uentry: 'print_uentry', usdt: 'print_usdt' };

export class PrintProbe extends FeedProbe<PrintEvent> {
  readonly name = 'print';
  protected readonly commField = { offset: OFF.comm, len: PRINT_COMM_LEN };
  protected readonly maxFlag = feedMaxFlag('print');
  private config: ProbeConfig | null = null;
  private pending: TraceTarget[] = [];
  /** By slot (a record names its slot). */
  private bySlot = new Map<number, TraceTarget>();
  private slotOf = new Map<string, number>();
  private pinned: number | null = null;

  private resolve(values: readonly string[]): TraceTarget[] {
    if (values.length === 0) return [];
    try {
      return resolveTargets(hostEvents(), values, this.config?.pid ?? null, true);
    } catch (e) {
      if (e instanceof TraceArgError) throw new ProbeArgError(e.message);
      throw e;
    }
  }

  override start(config: ProbeConfig): void {
    this.config = config;
    this.pinned = config.pinnedCpu;
    this.pending = this.resolve(config.args ?? []);
    if (this.pending.length) super.start(config);
  }

  override async startAsync(config: ProbeConfig): Promise<void> {
    this.config = config;
    this.pinned = config.pinnedCpu;
    this.pending = this.resolve(config.args ?? []);
    if (this.pending.length) await super.startAsync(config);
  }

  protected override attachPrograms(obj: BpfObject): void {
    // The CPU filter before anything runs (followed live by setPinnedCpu).
    obj.map('print_watch').update(u32(0), u32(watchWord(this.pinned)));
    this.bySlot.clear();
    this.slotOf.clear();
    const targets = this.pending;
    this.pending = [];
    this.attachTargets(obj, targets);
  }

  private attachTargets(obj: BpfObject, targets: readonly TraceTarget[]): void {
    const done: string[] = [];
    try {
      for (const t of targets) {
        if (this.slotOf.has(t.id)) continue;
        const slot = this.freeSlot();
        this.bySlot.set(slot, t);
        this.slotOf.set(t.id, slot);
        done.push(t.id);
        try {
          attachSlot(obj, PROGS, t, slot, this.config?.pid ?? null);
        } catch (e) {
          if (t.wild) {
            this.detach(obj, [t.id]);
            done.pop();
            continue;
          }
          throw refusedError(t, e);
        }
      }
    } catch (e) {
      this.detach(obj, done);
      throw e instanceof ProbeArgError ? e : new ProbeArgError(attachWhy(e));
    }
  }

  private detach(obj: BpfObject, ids: readonly string[]): void {
    const list: { target: TraceTarget; slot: number }[] = [];
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      const target = this.bySlot.get(slot)!;
      this.slotOf.delete(id);
      this.bySlot.delete(slot);
      list.push({ target, slot });
    }
    detachSlots(obj, PROGS, list);
  }

  private freeSlot(): number {
    for (let s = 0; s < TRACE_MAX_TARGETS; s++) if (!this.bySlot.has(s)) return s;
    throw new ProbeArgError(`every print slot is in use (${TRACE_MAX_TARGETS})`);
  }

  setPinnedCpu(cpu: number | null): void {
    this.pinned = cpu;
    this.obj?.map('print_watch').update(u32(0), u32(watchWord(cpu)));
  }

  values(): string[] {
    return [...this.slotOf.keys()];
  }

  async setArgs(values: readonly string[]): Promise<void> {
    const config = this.config;
    if (!config) throw new ProbeArgError('the print probe is not running');
    const targets = this.resolve(values);
    if (!this.obj) {
      if (targets.length === 0) return;
      this.pending = targets;
      await super.startAsync({ ...config, pinnedCpu: this.pinned });
      return;
    }
    const want = new Set(targets.map((t) => t.id));
    this.attachTargets(
      this.obj,
      targets.filter((t) => !this.slotOf.has(t.id)),
    );
    this.detach(
      this.obj,
      [...this.slotOf.keys()].filter((id) => !want.has(id)),
    );
  }

  protected decode(rec: Buffer): PrintEvent | null {
    if (rec.length < PRINT_LAYOUT.size) return null;
    const t = this.bySlot.get(rec.readUInt32LE(OFF.slot));
    // A record of a slot detached (or reused) since: its target is unknown now, left out.
    if (!t) return null;
    const flags = rec.readUInt32LE(OFF.flags);
    let value: number | null = null;
    if (flags & PRINT_F_VALUE) value = Number(flags & PRINT_F_SIGNED ? rec.readBigInt64LE(OFF.value) : rec.readBigUInt64LE(OFF.value));
    // A `:str` slot's record: the string (untrusted bytes of the process or the kernel: at most
    // PRINT_STR_LEN, cut at the first NUL, escaped), or null when it could not be read.
    let str: { str: string | null; truncated: boolean } | null = null;
    if (t.str) {
      if (rec.length < PRINT_STR_LAYOUT.size) return null;
      const ok = (flags & PRINT_F_STR) !== 0;
      const len = Math.min(rec.readUInt32LE(STR_OFF.str_len), PRINT_STR_LEN);
      str = { str: ok ? cString(rec, STR_OFF.str, len) : null, truncated: ok && (flags & PRINT_F_TRUNC) !== 0 };
    }
    return {
      ts: this.clock.wallMs(rec, OFF.ts_ns),
      pid: rec.readUInt32LE(OFF.pid),
      tid: rec.readUInt32LE(OFF.tid),
      comm: cString(rec, OFF.comm, PRINT_COMM_LEN),
      event: t.id,
      value,
      ...str,
      cgroup: cgroupRef(u64n(rec, OFF.cgroup)),
    };
  }
}
