// containers: one row per cgroup whose tasks ran, with what explains its latency (see
// containers-spec.ts). The kernel side is the containers part of the scheduler object
// (bpf/containers.bpf.h, SCHED_PART_CGROUP): per v2 cgroup id, a cumulative log2 histogram of
// its tasks' run-queue waits (measured as the run-queue part measures them) and the longest
// off-CPU time that ended in the interval, in two generations (sched_cfg.cg_gen): each tick user
// space flips the generation, waits for an RCU grace period (after it no run of the program
// writes the old one) and reads and clears the old one's maxima. The histograms are read as
// differences from the previous tick, so nothing is lost between intervals. The cgroup files
// (throttling, pressure, memory, CPU time) are read for the rows shown only.
import type { BpfObject } from '../bpf/object.js';
import { counterDelta, counterDeltas } from '../model/counter.js';
import { histCount, histQuantile } from '../model/hist.js';
import { u64n } from './bpf-probe.js';
import { cgroupRef, cgroups } from './cgroup/registry.js';
import { describeCgroupPath } from './cgroup/describe.js';
import { allCgroupEvents, idleRows, type CgroupEventCounts } from './cgroup/event-counts.js';
import { cgroupRoots, readCgroupCounters, type CgroupCounters, type CgroupRoots } from './cgroup/files.js';
import { SCHED_PART_CGROUP, SchedProbe, type SchedControl } from './sched.js';
import { cString } from './strings.js';
import { CONTAINER_SORTS, CONTAINERS_ROWS_MAX, CONTAINERS_SORT, sortContainerRows, type ContainerRow, type ContainersSample } from './containers-spec.js';
import { optionOf, type OptionValue, type ProbeConfig } from './types.js';

/** Mirrors bpf/containers.h. */
export const CONTAINERS_MAX_SLOTS = 27;
export const CONTAINERS_COMM_LEN = 16;
/** struct cgroup_rq, cgroup_off_key and cgroup_off as decoded here (test/probes/layout.test.ts checks them against BTF). */
export const CGROUP_RQ_LAYOUT = { struct: 'cgroup_rq', size: CONTAINERS_MAX_SLOTS * 8 + 8, fields: { slots: 0, total_ns: CONTAINERS_MAX_SLOTS * 8 } } as const;
export const CGROUP_OFF_KEY_LAYOUT = { struct: 'cgroup_off_key', size: 16, fields: { cgroup: 0, gen: 8, _pad: 12 } } as const;
export const CGROUP_OFF_LAYOUT = { struct: 'cgroup_off', size: 32, fields: { max_ns: 0, pid: 8, _pad: 12, comm: 16 } } as const;

interface Cum {
  slots: number[];
  totalNs: number;
}

interface OffMax {
  ns: number;
  pid: number;
  comm: string;
}

function decodeRq(val: Buffer): Cum {
  const slots = new Array<number>(CONTAINERS_MAX_SLOTS);
  for (let i = 0; i < CONTAINERS_MAX_SLOTS; i++) slots[i] = u64n(val, CGROUP_RQ_LAYOUT.fields.slots + 8 * i);
  return { slots, totalNs: u64n(val, CGROUP_RQ_LAYOUT.fields.total_ns) };
}

/** A feed's events of cgroup `id` per second in its last interval. */
function feedRate(c: CgroupEventCounts, id: number): number {
  return Math.round(((c.counts.get(id) ?? 0) / c.seconds) * 10) / 10;
}

const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
/** A cumulative us counter's difference as % of `seconds`. */
const pct = (d: number | null, seconds: number) => (d === null ? null : Math.round((d / 1e6 / seconds) * 1000) / 10);

export class ContainersProbe extends SchedProbe<ContainersSample> {
  readonly name = 'containers';
  protected readonly part = SCHED_PART_CGROUP;
  private shared: SchedControl | null = null;
  private gen = 0;
  private prev = new Map<number, Cum>();
  private files = new Map<number, CgroupCounters>();
  private roots: CgroupRoots | null = null;
  private lastOverflow = 0;
  private lastSample = 0;
  private sortBy = 0;

  /** A live change of --containers-sort. */
  setOption(flag: string, value: OptionValue): Promise<void> {
    if (flag === CONTAINERS_SORT.flag && typeof value === 'number') this.sortBy = value;
    return Promise.resolve();
  }

  protected override joined(obj: BpfObject, config: ProbeConfig, shared: SchedControl): void {
    this.shared = shared;
    this.sortBy = optionOf(config, CONTAINERS_SORT);
    this.gen = 0;
    shared.set({ cgGen: 0 });
    const v2 = cgroups().tree.root;
    this.roots = v2 ? cgroupRoots(v2, config.sysRoot ?? '/sys') : null;
    // Baselines: the cumulative histograms as they are; the maxima of an earlier on-period go.
    this.prev = this.readRq(obj);
    const off = obj.map('cg_off');
    for (const k of off.keys()) off.delete(k);
    this.lastOverflow = this.readOverflow(obj);
    this.files.clear();
    this.lastSample = performance.now();
  }

  protected override left(): void {
    this.shared = null;
    this.prev.clear();
    this.files.clear();
  }

  private readRq(obj: BpfObject): Map<number, Cum> {
    return new Map(
      obj
        .map('cg_rq')
        .entries()
        .map(([k, v]) => [u64n(k, 0), decodeRq(v)]),
    );
  }

  private readOverflow(obj: BpfObject): number {
    let n = 0;
    for (const b of obj.map('cg_overflow').lookupPerCpu(Buffer.alloc(4)) ?? []) n += u64n(b, 0);
    return n;
  }

  /** The maxima of generation `gen` (nothing writes it any more), by cgroup; their rows deleted. */
  private takeOff(obj: BpfObject, gen: number): Map<number, OffMax> {
    const m = obj.map('cg_off');
    const out = new Map<number, OffMax>();
    const f = CGROUP_OFF_LAYOUT.fields;
    for (const [k, v] of m.entries()) {
      if (k.readUInt32LE(CGROUP_OFF_KEY_LAYOUT.fields.gen) !== gen) continue;
      out.set(u64n(k, CGROUP_OFF_KEY_LAYOUT.fields.cgroup), {
        ns: u64n(v, f.max_ns),
        pid: v.readUInt32LE(f.pid),
        comm: cString(v, f.comm, CONTAINERS_COMM_LEN),
      });
      m.delete(k);
    }
    return out;
  }

  sample(): ContainersSample {
    const obj = this.obj;
    if (!obj || !this.shared) return { rows: [], more: 0, overflow: 0 };
    const t = performance.now();
    const seconds = Math.max((t - this.lastSample) / 1000, 1e-3);
    this.lastSample = t;
    // Flip the maxima's generation; after the grace period nothing writes the old one.
    const old = this.gen;
    this.gen ^= 1;
    this.shared.set({ cgGen: this.gen });
    this.shared.quiesce();
    const off = this.takeOff(obj, old);
    const cur = this.readRq(obj);
    const overflow = this.readOverflow(obj);
    const lost = counterDelta(overflow, this.lastOverflow);
    this.lastOverflow = overflow;
    const active: { id: number; d: number[]; count: number; sumNs: number; off: OffMax | null }[] = [];
    for (const [id, c] of cur) {
      const p = this.prev.get(id);
      const d = counterDeltas(c.slots, p?.slots);
      const count = histCount(d);
      const o = off.get(id) ?? null;
      if (count > 0 || o) active.push({ id, d, count, sumNs: counterDelta(c.totalNs, p?.totalNs ?? 0), off: o });
    }
    // A cgroup with an absence but no wait yet has no cg_rq row.
    for (const [id, o] of off) if (!cur.has(id)) active.push({ id, d: new Array(CONTAINERS_MAX_SLOTS).fill(0), count: 0, sumNs: 0, off: o });
    // Rows of cgroups that did not move, once the table fills up (dead cgroups): deleted.
    const rq = obj.map('cg_rq');
    for (const id of idleRows(cur, this.prev, (a, b) => a.totalNs === b.totalNs && a.slots.every((v, i) => v === b.slots[i]), rq.maxEntries)) {
      const k = Buffer.alloc(8);
      k.writeBigUInt64LE(BigInt(id));
      rq.delete(k);
      cur.delete(id);
    }
    this.prev = cur;
    active.sort((a, b) => b.count - a.count || (b.off?.ns ?? 0) - (a.off?.ns ?? 0) || a.id - b.id);
    const shown = active.slice(0, CONTAINERS_ROWS_MAX);
    const files = new Map<number, CgroupCounters>();
    const delta = (a: number | null | undefined, b: number | null | undefined) =>
      a === null || a === undefined || b === null || b === undefined ? null : counterDelta(a, b);
    const feeds = allCgroupEvents();
    const rows: ContainerRow[] = shown.map(({ id, d, count, sumNs, off: o }) => {
      const ref = cgroupRef(id);
      const desc = describeCgroupPath(ref.path ?? '/');
      const now = this.roots && ref.path !== null ? readCgroupCounters(this.roots, ref.path) : null;
      if (now) files.set(id, now);
      const p = this.files.get(id) ?? null;
      return {
        cgroup: ref,
        kind: ref.path === null ? 'cgroup' : desc.kind,
        runtime: desc.runtime,
        container_id: desc.container,
        pod: desc.pod,
        cpu_pct: pct(delta(now?.usageUs, p?.usageUs), seconds),
        runq: d,
        runq_count: count,
        runq_sum_us: Math.round(sumNs / 100) / 10,
        runq_p50_us: round1(histQuantile(d, 0.5)),
        runq_p99_us: round1(histQuantile(d, 0.99)),
        offcpu_max_us: o ? Math.round(o.ns / 100) / 10 : null,
        offcpu_max_pid: o ? o.pid : null,
        offcpu_max_comm: o ? o.comm : null,
        periods: delta(now?.periods, p?.periods),
        throttled: delta(now?.throttled, p?.throttled),
        throttled_us: delta(now?.throttledUs, p?.throttledUs),
        pressure: {
          cpu: pct(delta(now?.pressureUs.cpu, p?.pressureUs.cpu), seconds),
          memory: pct(delta(now?.pressureUs.memory, p?.pressureUs.memory), seconds),
          io: pct(delta(now?.pressureUs.io, p?.pressureUs.io), seconds),
        },
        memory_bytes: now?.memoryBytes ?? null,
        memory_limit: now?.memoryLimit ?? null,
        events_per_s: Object.fromEntries([...feeds].map(([feed, c]) => [feed, feedRate(c, id)])),
      };
    });
    // A row's file baseline is kept while it is shown; one that comes back starts again (its first rates are null).
    this.files = files;
    let feedLost = 0;
    for (const c of feeds.values()) feedLost += c.lost;
    return { rows: sortContainerRows(rows, CONTAINER_SORTS[this.sortBy] ?? 'p99'), more: active.length - shown.length, overflow: lost + feedLost };
  }
}
