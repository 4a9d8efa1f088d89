// trace: the tracepoints of --trace (and of the screen's + prompt), each attached to the one
// program of bpf/trace.bpf.c with a BPF cookie naming its slot. Per tick: a flip of the
// generations, then the slots' per-CPU counts and histograms of the generation the program left,
// differenced since that generation was last read, and its (slot, pid, comm) counts (see the
// object's comment: all of one interval come from the same runs, nothing lost between reads).
// With no tracepoint attached nothing is loaded; the object loads with the first one and is
// unloaded when the last one goes.
import { u32, type BpfMap } from '../bpf/map.js';
import { Generations } from '../bpf/generations.js';
import type { BpfObject, ProgStats } from '../bpf/object.js';
import { BpfProbe, setTaskFilter, u64, u64n } from './bpf-probe.js';
import { cgroupRef } from './cgroup/registry.js';
import { escapeBytes } from './strings.js';
import { hostEvents, resolveTargets, TraceArgError, TRACE_MAX_TARGETS, type TraceTarget } from './trace-events.js';
import { fileIdOf, type UserProbe } from './trace-user.js';
import { attachSlot, attachWhy, detachSlots, refusedError, slotConfig, type SlotPrograms } from './trace-attach.js';
import { release } from 'node:os';
import { sortRows, traceHist, TRACE_TOP_TASKS, type TraceRow, type TraceSample, type TraceTask } from './trace-spec.js';
import { ProbeArgError, type ProbeConfig } from './types.js';
import { addon } from '../bpf/addon.js';
import { registerElfReader } from './trace-user.js';

registerElfReader(addon);
import { watchWord } from './cpus.js';
import { counterDelta } from '../model/counter.js';

/** Mirrors bpf/trace.h. */
export const TRACE_HIST_SLOTS = 64;
export const TRACE_COMM_LEN = 16;
/** struct trace_stat and struct trace_task_key as decoded here (test/probes/layout.test.ts checks them against BTF). */
export const TRACE_STAT_LAYOUT = {
  struct: 'trace_stat',
  size: 48 + TRACE_HIST_SLOTS * 8,
  fields: { runs: 0, hits: 8, negative: 16, task_lost: 24, timed_runs: 32, timed_ns: 40, hist: 48 },
} as const;
export const TRACE_KEY_LAYOUT = {
  struct: 'trace_task_key',
  size: 16 + TRACE_COMM_LEN,
  fields: { slot: 0, pid: 4, comm: 8, cgroup: 8 + TRACE_COMM_LEN },
} as const;
export { TRACE_SLOT_LAYOUT } from './trace-attach.js';
const PROGS: SlotPrograms = { tracepoint: 'trace_hit', uprobe: 'trace_uprobe', uretprobe: 'trace_uretprobe', uentry: 'trace_uentry', usdt: 'trace_usdt' };

/** A slot's cumulative figures, summed over the CPUs. */
interface SlotStat {
  runs: number;
  hits: number;
  negative: number;
  taskLost: number;
  timedRuns: number;
  timedNs: number;
  hist: number[];
}

interface Attached {
  readonly target: TraceTarget;
  readonly slot: number;
  /** The multi-uprobe link it is a function of (a wildcard's), or undefined (a link of its own). */
  multi?: string;
  /** Each generation's figures as last read (see bpf/trace.bpf.c, 4.). */
  readonly prev: [SlotStat, SlotStat];
}

function decodeStat(b: Buffer, into: SlotStat): void {
  const f = TRACE_STAT_LAYOUT.fields;
  into.runs += u64(b, f.runs);
  into.hits += u64(b, f.hits);
  into.negative += u64(b, f.negative);
  into.taskLost += u64(b, f.task_lost);
  into.timedRuns += u64(b, f.timed_runs);
  into.timedNs += u64(b, f.timed_ns);
  for (let k = 0; k < TRACE_HIST_SLOTS; k++) into.hist[k] += u64(b, f.hist + 8 * k);
}

function emptyStat(): SlotStat {
  return { runs: 0, hits: 0, negative: 0, taskLost: 0, timedRuns: 0, timedNs: 0, hist: new Array<number>(TRACE_HIST_SLOTS).fill(0) };
}

/**
 * A user-space probe's file since it was attached: the kernel keeps the uprobe on the inode it
 * was put on, so a file deleted or replaced (a package upgrade) still counts for the processes
 * that run the old one, and never for those that run the new one. Said in the row.
 */
function fileState(u: UserProbe): { file?: 'deleted' | 'replaced' } {
  const now = fileIdOf(u.path);
  if (now === null) return { file: 'deleted' };
  return now !== u.fileId ? { file: 'replaced' } : {};
}

/** The programs attached through multi-uprobe links (bpf/trace.bpf.c). */
const MULTI_PROGS = ['trace_umulti', 'trace_uretmulti', 'trace_uentrymulti'];
const BPF_TRACE_UPROBE_MULTI = 48;

/** Has this kernel multi-uprobe links (6.6 and later)? */
function uprobeMultiKernel(): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m !== null && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 6));
}

/** The top tasks of one slot and the hits of the rest. Pure. */
export function topTasks(tasks: TraceTask[], n = TRACE_TOP_TASKS): { tasks: TraceTask[]; other: number } {
  const sorted = [...tasks].sort((a, b) => b.count - a.count || a.pid - b.pid || (a.comm < b.comm ? -1 : 1));
  const other = sorted.slice(n).reduce((a, t) => a + t.count, 0);
  return { tasks: sorted.slice(0, n), other };
}

export class TraceProbe extends BpfProbe<TraceSample> {
  readonly name = 'trace';
  private config: ProbeConfig | null = null;
  private attached = new Map<string, Attached>();
  /** Targets to attach when the object is (re)loaded. */
  private pending: TraceTarget[] = [];
  private nextSlot = 0;
  private gens: Generations | null = null;
  private lastSample = 0;
  private lastProg: ProgStats | null = null;
  private lostPending = 0;
  private pinned: number | null = null;
  private pid: number | null = null;
  /** Wildcards through multi-uprobe links (kernel >= 6.6), and the last link key given out. */
  private multiOk = false;
  private multiSeq = 0;
  /** Functions of a wildcard the kernel refused, with why (TraceSample.refused). */
  private refused = new Map<string, string>();

  private resolve(values: readonly string[]): TraceTarget[] {
    if (values.length === 0) return [];
    try {
      return resolveTargets(hostEvents(), values, this.config?.pid ?? null);
    } catch (e) {
      if (e instanceof TraceArgError) throw new ProbeArgError(e.message);
      throw e;
    }
  }

  /** Keep the config for later attaches; the targets to attach now (none: nothing is loaded). */
  private prepare(config: ProbeConfig): number {
    this.config = config;
    this.pinned = config.pinnedCpu;
    this.pid = config.pid;
    this.pending = this.resolve(config.args ?? []);
    this.refused.clear();
    return this.pending.length;
  }

  override start(config: ProbeConfig): void {
    if (this.prepare(config)) super.start(config);
  }

  override async startAsync(config: ProbeConfig): Promise<void> {
    if (this.prepare(config)) await super.startAsync(config);
  }

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    setTaskFilter(obj, config);
    this.multiOk = uprobeMultiKernel();
    for (const p of MULTI_PROGS) {
      if (this.multiOk) obj.setExpectedAttachType(p, BPF_TRACE_UPROBE_MULTI);
      else obj.setAutoload(p, false);
    }
  }

  /** Instead of attachAll (the program has no tracepoint of its own): the pending targets. */
  protected override attachPrograms(obj: BpfObject): void {
    // gens points at agg0 at load; the CPU filter is written before anything runs.
    this.gens = new Generations(obj.map('gens'), [obj.map('agg0'), obj.map('agg1')]);
    obj.map('trace_cfg').update(u32(0), u32(watchWord(this.pinned)));
    this.attached.clear();
    const targets = this.pending;
    this.pending = [];
    this.attachTargets(obj, targets);
  }

  protected override started(obj: BpfObject): void {
    this.lastSample = performance.now();
    this.lastProg = obj.stats();
  }

  /** Attach each target in a free slot; on a failure, detach the ones attached here and throw ProbeArgError. */
  private attachTargets(obj: BpfObject, targets: readonly TraceTarget[]): void {
    const done: string[] = [];
    try {
      const single = this.multiOk ? this.attachMulti(obj, targets, done) : targets;
      for (const t of single) {
        if (this.attached.has(t.id)) continue;
        const slot = this.freeSlot();
        const prev: [SlotStat, SlotStat] = [this.readStat(obj, 0, slot), this.readStat(obj, 1, slot)];
        // In the map before the attach: a failed user-space attach detaches what it attached.
        this.attached.set(t.id, { target: t, slot, prev });
        done.push(t.id);
        try {
          attachSlot(obj, PROGS, t, slot, this.pid);
        } catch (e) {
          const why = attachWhy(e);
          if (t.wild) {
            // One function of a wildcard: left out and said, the others attached.
            this.detach(obj, [t.id]);
            done.pop();
            this.refused.set(t.id, why);
            continue;
          }
          throw refusedError(t, e);
        }
      }
    } catch (e) {
      this.detach(obj, done);
      throw e;
    }
  }

  /**
   * A wildcard's functions of one file and kind (u: or ur:), two or more: one multi-uprobe link
   * each group (the entry's too for :lat), every function's slot its cookie. A group the kernel
   * refuses as a whole (one function it cannot probe fails the link) is left to the one-by-one
   * attach, which says which. Returns the targets still to attach one by one.
   */
  private attachMulti(obj: BpfObject, targets: readonly TraceTarget[], done: string[]): TraceTarget[] {
    const groups = new Map<string, TraceTarget[]>();
    const rest: TraceTarget[] = [];
    for (const t of targets) {
      const u = t.user;
      if (!t.wild || !u || u.kind === 'usdt' || this.attached.has(t.id)) {
        rest.push(t);
        continue;
      }
      const g = `${u.kind}|${u.path}|${u.value ?? ''}`;
      const l = groups.get(g);
      if (l) l.push(t);
      else groups.set(g, [t]);
    }
    for (const list of groups.values()) {
      if (list.length < 2) {
        rest.push(...list);
        continue;
      }
      const members = list.map((t) => {
        const slot = this.freeSlot();
        obj.map('slots').update(u32(slot), slotConfig(t));
        const a: Attached = { target: t, slot, prev: [this.readStat(obj, 0, slot), this.readStat(obj, 1, slot)] };
        this.attached.set(t.id, a);
        return a;
      });
      // The kernel attaches all of a link's functions or none: a group it refuses is halved
      // until the functions it cannot probe are alone (then attached one by one, which says why).
      const link = (part: Attached[]): void => {
        const key = `multi#${++this.multiSeq}`;
        try {
          if (part.length < 2) throw new Error('one function: a link of its own');
          this.linkMulti(obj, key, part);
        } catch {
          if (part.length >= 4) {
            const half = part.length >> 1;
            link(part.slice(0, half));
            link(part.slice(half));
            return;
          }
          for (const a of part) {
            this.attached.delete(a.target.id);
            rest.push(a.target);
          }
          return;
        }
        for (const a of part) {
          a.multi = key;
          done.push(a.target.id);
        }
      };
      link(members);
    }
    return rest;
  }

  /** The multi-uprobe link(s) of `key` for these functions (of one file and kind). */
  private linkMulti(obj: BpfObject, key: string, members: readonly Attached[]): void {
    const u = members[0].target.user!;
    const offsets = members.map((a) => a.target.user!.offset);
    const slots = members.map((a) => a.slot);
    const pid = this.pid ?? -1;
    if (u.kind === 'uprobe') obj.attachUprobeMulti('trace_umulti', key, u.path, offsets, slots, false, pid);
    else {
      if (u.value === 'lat') obj.attachUprobeMulti('trace_uentrymulti', `${key}:entry`, u.path, offsets, slots, false, pid);
      try {
        obj.attachUprobeMulti('trace_uretmulti', key, u.path, offsets, slots, true, pid);
      } catch (e) {
        obj.detachMulti(`${key}:entry`);
        throw e;
      }
    }
  }

  /** Detach these attachments, all at once (each waits for a grace period in the kernel). */
  private detach(obj: BpfObject, ids: readonly string[]): void {
    const list: Attached[] = [];
    const multis = new Set<string>();
    for (const id of ids) {
      const a = this.attached.get(id);
      if (!a) continue;
      this.attached.delete(id);
      if (a.multi) multis.add(a.multi);
      else list.push(a);
    }
    detachSlots(obj, PROGS, list);
    // A multi link goes as a whole; the functions of it that stay get a new one.
    for (const key of multis) {
      obj.detachMulti(key);
      obj.detachMulti(`${key}:entry`);
      const stay = [...this.attached.values()].filter((a) => a.multi === key);
      if (stay.length === 0) continue;
      const next = `multi#${++this.multiSeq}`;
      try {
        this.linkMulti(obj, next, stay);
        for (const a of stay) a.multi = next;
      } catch {
        // The file gone meanwhile: those rows go too, and say so.
        for (const a of stay) {
          this.attached.delete(a.target.id);
          this.refused.set(a.target.id, 'its multi-uprobe link could not be made again');
        }
      }
    }
  }

  /** A slot no attachment uses, after the last one given out (so a slot is reused as late as possible). */
  private freeSlot(): number {
    const used = new Set([...this.attached.values()].map((a) => a.slot));
    for (let i = 0; i < TRACE_MAX_TARGETS; i++) {
      const s = (this.nextSlot + i) % TRACE_MAX_TARGETS;
      if (!used.has(s)) {
        this.nextSlot = (s + 1) % TRACE_MAX_TARGETS;
        return s;
      }
    }
    throw new ProbeArgError(`every tracepoint slot is in use (${TRACE_MAX_TARGETS})`);
  }

  private readStat(obj: BpfObject, gen: number, slot: number): SlotStat {
    const s = emptyStat();
    for (const b of obj.map('stats').lookupPerCpu(u32(gen * TRACE_MAX_TARGETS + slot)) ?? []) decodeStat(b, s);
    return s;
  }

  /** The attached targets, as resolved values (what --trace would give). */
  values(): string[] {
    return [...this.attached.keys()];
  }

  async setArgs(values: readonly string[]): Promise<void> {
    const config = this.config;
    if (!config) throw new ProbeArgError('the trace probe is not running');
    const targets = this.resolve(values);
    this.refused.clear();
    const want = new Set(targets.map((t) => t.id));
    if (!this.obj) {
      if (targets.length === 0) return;
      this.pending = targets;
      await super.startAsync({ ...config, pinnedCpu: this.pinned });
      return;
    }
    const obj = this.obj;
    this.attachTargets(
      obj,
      targets.filter((t) => !this.attached.has(t.id)),
    );
    this.detach(
      obj,
      [...this.attached.keys()].filter((id) => !want.has(id)),
    );
    if (this.attached.size === 0) this.stop();
  }

  setPinnedCpu(cpu: number | null): void {
    this.pinned = cpu;
    if (!this.obj) return;
    this.obj.map('trace_cfg').update(u32(0), u32(watchWord(cpu)));
  }

  /** The (slot, pid, comm) counts of a generation nothing writes any more, by slot; the map emptied. */
  private takeTasks(gen: BpfMap): Map<number, TraceTask[]> {
    const out = new Map<number, TraceTask[]>();
    const k = TRACE_KEY_LAYOUT.fields;
    for (const [key, value] of gen.takeAll()) {
      const slot = key.readUInt32LE(k.slot);
      const raw = key.subarray(k.comm, k.comm + TRACE_COMM_LEN);
      const nul = raw.indexOf(0);
      const task: TraceTask = {
        pid: key.readUInt32LE(k.pid),
        comm: escapeBytes(nul >= 0 ? raw.subarray(0, nul) : raw),
        count: u64(value, 0),
        cgroup: cgroupRef(u64n(key, k.cgroup)),
      };
      const l = out.get(slot);
      if (l) l.push(task);
      else out.set(slot, [task]);
    }
    return out;
  }

  sample(): TraceSample {
    const obj = this.obj;
    const gens = this.gens;
    if (!obj || !gens) return { tracepoints: [] };
    const t = performance.now();
    const seconds = Math.max((t - this.lastSample) / 1000, 1e-3);
    this.lastSample = t;
    const g = gens.flip();
    const tasks = this.takeTasks(gens.maps[g]);
    const prog = obj.stats();
    const last = this.lastProg ?? prog;
    this.lastProg = prog;
    const progNs = counterDelta(prog.runTimeNs, last.runTimeNs);
    this.lostPending += counterDelta(prog.recursionMisses, last.recursionMisses);
    const parts: { a: Attached; d: SlotStat }[] = [];
    for (const a of this.attached.values()) {
      const cur = this.readStat(obj, g, a.slot);
      const p = a.prev[g];
      a.prev[g] = cur;
      parts.push({
        a,
        d: {
          runs: counterDelta(cur.runs, p.runs),
          hits: counterDelta(cur.hits, p.hits),
          negative: counterDelta(cur.negative, p.negative),
          taskLost: counterDelta(cur.taskLost, p.taskLost),
          timedRuns: counterDelta(cur.timedRuns, p.timedRuns),
          timedNs: counterDelta(cur.timedNs, p.timedNs),
          hist: cur.hist.map((v, k) => counterDelta(v, p.hist[k])),
        },
      });
    }
    // The program's run time, shared out by runs x mean timed cost of each slot (the mean over
    // every slot where one has no timed run yet).
    const timedRuns = parts.reduce((s, x) => s + x.d.timedRuns, 0);
    const meanAll = timedRuns ? parts.reduce((s, x) => s + x.d.timedNs, 0) / timedRuns : 1;
    const weights = parts.map((x) => x.d.runs * (x.d.timedRuns ? x.d.timedNs / x.d.timedRuns : meanAll));
    const wsum = weights.reduce((a, b) => a + b, 0);
    const rows: TraceRow[] = parts.map(({ a, d }, i) => {
      const top = topTasks(tasks.get(a.slot) ?? []);
      this.lostPending += d.taskLost;
      const runNs = wsum > 0 ? Math.round((progNs * weights[i]) / wsum) : d.runs ? 0 : null;
      const u = a.target.user;
      return {
        id: a.target.id,
        tracepoint: u ? (a.target.event ?? a.target.id) : `${a.target.category}:${a.target.name}`,
        field: u ? (a.target.valueName ?? null) : (a.target.field?.name ?? null),
        kind: u ? u.kind : 'tracepoint',
        ...(u ? { path: u.path, ...(u.ifunc ? { ifunc: u.ifunc } : {}), ...fileState(u) } : {}),
        count: d.hits,
        rate: Math.round((d.hits / seconds) * 10) / 10,
        tasks: top.tasks,
        other_tasks: top.other,
        task_lost: d.taskLost,
        hist: a.target.field || u?.value ? traceHist(d.hist, d.negative, a.target.unit) : null,
        runs: d.runs,
        run_ns: runNs,
        ns_per_run: runNs !== null && d.runs ? Math.round(runNs / d.runs) : null,
      };
    });
    const out: TraceSample = { tracepoints: sortRows(rows) };
    const refused = [...this.refused.entries()].filter(([id]) => !this.attached.has(id));
    if (refused.length) out.refused = refused.map(([id, why]) => ({ id, why }));
    return out;
  }

  protected override lostSinceLast(): number {
    const n = this.lostPending;
    this.lostPending = 0;
    return n;
  }

  override stop(): void {
    this.gens = null;
    this.attached.clear();
    this.lastProg = null;
    super.stop();
  }
}
