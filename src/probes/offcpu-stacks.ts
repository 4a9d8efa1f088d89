// The off-CPU stacks of the offcpu probe (--offcpu-stacks, or Enter on a row of its pane):
// bpf/offstacks.bpf.c, its own object, loaded only while stacks are wanted (the stack walks on
// every context switch cost far more than the off-CPU maxima). Per tick: the generation the
// program left, its rows symbolized (longest total first), its counters (returns = the rows'
// counts + lost).
import type { BpfObject } from '../bpf/object.js';
import { BpfProbe, setTaskFilter, u64 } from './bpf-probe.js';
import { watchWord } from './cpus.js';
import { u32 } from '../bpf/map.js';
import type { ProbeConfig } from './types.js';
import { StackCollector } from '../stacks/collector.js';
import { mergeRows, type StackRow } from '../stacks/frames.js';
import { cString } from './strings.js';
import { STACK_SAMPLE_LAYOUT } from '../stacks/layout.js';

/** struct offstack_stat of bpf/offstacks.h, in order. */
export const OFFSTACK_STAT_FIELDS = ['returns', 'lost', 'kfail', 'ufail', 'unannounced', 'ucut'] as const;
export const OFFSTACK_STAT_LAYOUT = {
  struct: 'offstack_stat',
  size: 8 * OFFSTACK_STAT_FIELDS.length,
  fields: Object.fromEntries(OFFSTACK_STAT_FIELDS.map((f, i) => [f, 8 * i])) as Record<(typeof OFFSTACK_STAT_FIELDS)[number], number>,
} as const;
export const OFFSTACK_VAL_LAYOUT = { struct: 'offstack_val', size: 48, fields: { total_ns: 0, max_ns: 8, count: 16, preempted: 24, by: 32 } } as const;

export interface OffStackRow extends StackRow {
  /** Sum of the off-CPU times with this stack that ended in the interval, us. */
  total_us: number;
  max_us: number;
  /** Absences with this stack. */
  count: number;
  /** How many began with an involuntary switch-out, and the last preemptor. */
  preempted: number;
  preempted_by: string | null;
}

export interface OffStacks {
  rows: OffStackRow[];
  /** Absences on watched CPUs in the interval: the rows' counts + other + lost. */
  returns: number;
  /** Absences of the rows not listed (beyond the interval's cap). */
  other: number;
  lost: number;
  symbolize_ms: number;
  /** User stacks unwound in perfscope this interval, and the time it took, ms. */
  unwound?: number;
  unwind_ms?: number;
  /** Rows whose user stack was left out (the kernel's ring of copies was full). */
  ucut?: number;
  /** Why there are no stacks although they were asked for (their object could not be loaded). */
  error?: string;
}

/** Rows listed per interval (longest total first). */
export const OFFSTACK_MAX_ROWS = 500;

interface Val {
  totalNs: number;
  maxNs: number;
  count: number;
  preempted: number;
  by: string;
}

function decodeVal(v: Buffer): Val {
  const f = OFFSTACK_VAL_LAYOUT.fields;
  return { totalNs: u64(v, f.total_ns), maxNs: u64(v, f.max_ns), count: u64(v, f.count), preempted: u64(v, f.preempted), by: cString(v, f.by, 16) };
}

const us = (ns: number) => Math.round(ns / 100) / 10;

export class OffStacksProbe extends BpfProbe<OffStacks> {
  readonly name = 'offstacks';
  private collector: StackCollector<Val> | null = null;
  private lost = 0;
  private pinned: number | null = null;

  /** `fpOnly`: user stacks by frame pointer in the kernel only (--offcpu-stacks-fp). */
  constructor(
    private readonly maxRows = OFFSTACK_MAX_ROWS,
    private readonly fpOnly = false,
  ) {
    super();
  }

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    setTaskFilter(obj, config);
    if (this.fpOnly) obj.setGlobal('unwind_wanted', Buffer.from([0]));
    this.pinned = config.pinnedCpu;
  }

  /** The CPU filter word goes in before the program runs. */
  protected override attachPrograms(obj: BpfObject): void {
    this.writeWatch(obj);
    obj.attachAll();
  }

  protected override started(obj: BpfObject, config: ProbeConfig): void {
    this.collector = new StackCollector(
      obj,
      config,
      OFFSTACK_STAT_FIELDS,
      decodeVal,
      this.fpOnly
        ? undefined
        : {
            of: (r) => {
              const f = STACK_SAMPLE_LAYOUT.fields;
              const ns = u64(r, f.delta_ns);
              const preempted = r.readUInt32LE(f.preempted) ? 1 : 0;
              return { totalNs: ns, maxNs: ns, count: 1, preempted, by: preempted ? cString(r, f.by, 16) : '' };
            },
            add: (a, b) => ({
              totalNs: a.totalNs + b.totalNs,
              maxNs: Math.max(a.maxNs, b.maxNs),
              count: a.count + b.count,
              preempted: a.preempted + b.preempted,
              by: b.preempted ? b.by : a.by,
            }),
          },
    );
    this.lost = 0;
  }

  private writeWatch(obj: BpfObject): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(watchWord(this.pinned));
    obj.map('offstacks_cfg').update(u32(0), b);
  }

  protected override stopping(): void {
    this.collector?.close();
    this.collector = null;
  }

  protected override lostSinceLast(): number {
    const n = this.lost;
    this.lost = 0;
    return n;
  }

  setPinnedCpu(cpu: number | null): void {
    watchWord(cpu); // validates
    this.pinned = cpu;
    if (this.obj) this.writeWatch(this.obj);
  }

  sample(): OffStacks {
    const c = this.collector;
    if (!this.obj || !c) return { rows: [], returns: 0, other: 0, lost: 0, symbolize_ms: 0 };
    const got = c.take((a, b) => b.totalNs - a.totalNs, this.maxRows);
    this.lost += got.counts.lost;
    const raw: OffStackRow[] = got.rows.map(({ value: v, ...row }) => ({
      ...row,
      total_us: us(v.totalNs),
      max_us: us(v.maxNs),
      count: v.count,
      preempted: v.preempted,
      preempted_by: v.preempted ? v.by : null,
    }));
    // Kept per instruction address in the kernel; shown per function path.
    const rows = mergeRows(raw, (a, b) => ({
      ...a,
      total_us: Math.round((a.total_us + b.total_us) * 10) / 10,
      max_us: Math.max(a.max_us, b.max_us),
      count: a.count + b.count,
      preempted: a.preempted + b.preempted,
      preempted_by: a.preempted_by ?? b.preempted_by,
    })).sort((a, b) => b.total_us - a.total_us);
    const other = got.rest.reduce((a, v) => a + v.count, 0);
    return {
      rows,
      returns: got.counts.returns,
      other,
      lost: got.counts.lost,
      symbolize_ms: Math.round(got.symbolizeMs * 100) / 100,
      unwound: got.unwound,
      unwind_ms: Math.round(got.unwindMs * 100) / 100,
      ucut: got.counts.ucut,
    };
  }
}
