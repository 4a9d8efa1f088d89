// runqlat: run-queue latency as log2 microsecond histograms, per CPU and for all CPUs.
// The kernel side is the run-queue part of the scheduler object (bpf/runqlat.bpf.h, included by
// bpf/sched.bpf.c, shared with the off-CPU probe: src/probes/sched.ts), which keeps cumulative
// per-CPU counts; each tick we read them once and report the difference from the previous read,
// so nothing is lost between intervals.
import type { BpfObject } from '../bpf/object.js';
import { u64 } from './bpf-probe.js';
import { SCHED_PART_RUNQLAT, SchedProbe } from './sched.js';
import type { ProbeConfig } from './types.js';
import type { RunqlatSample } from './runqlat-spec.js';
import { counterDelta, counterDeltas } from '../model/counter.js';
import { histCount, histQuantile, histRange } from '../model/hist.js';

/** Mirrors RUNQLAT_MAX_SLOTS and struct runqlat_hist in bpf/runqlat.h. */
export const RUNQLAT_MAX_SLOTS = 27;
export const RUNQLAT_HIST_BYTES = RUNQLAT_MAX_SLOTS * 8 + 8;
/** struct runqlat_hist as decoded here, by C member name (test/probes/layout.test.ts checks it
 * against the object's BTF). slots: RUNQLAT_MAX_SLOTS u64. */
export const RUNQLAT_LAYOUT = { struct: 'runqlat_hist', size: RUNQLAT_HIST_BYTES, fields: { slots: 0, total_ns: RUNQLAT_MAX_SLOTS * 8 } } as const;

export interface CpuHist {
  slots: number[];
  totalNs: number;
}

/** Decode one CPU's slot of the `hists` per-CPU array. */
export function decodeHist(b: Buffer): CpuHist {
  const slots = new Array<number>(RUNQLAT_MAX_SLOTS);
  for (let i = 0; i < RUNQLAT_MAX_SLOTS; i++) slots[i] = u64(b, RUNQLAT_LAYOUT.fields.slots + i * 8);
  return { slots, totalNs: u64(b, RUNQLAT_LAYOUT.fields.total_ns) };
}

function round1(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}

export function summarize(perCpu: Map<number, CpuHist>, prev: Map<number, CpuHist> | null, cpus: readonly number[]): RunqlatSample {
  const all = new Array<number>(RUNQLAT_MAX_SLOTS).fill(0);
  const out: Record<string, number[]> = {};
  let totalNs = 0;
  for (const cpu of cpus) {
    const cur = perCpu.get(cpu);
    if (!cur) continue;
    const p = prev?.get(cpu);
    const d = counterDeltas(cur.slots, p?.slots);
    out[String(cpu)] = d;
    d.forEach((v, i) => (all[i] += v));
    totalNs += counterDelta(cur.totalNs, p?.totalNs ?? 0);
  }
  const count = histCount(all);
  return {
    unit: 'us',
    all,
    cpus: out,
    count,
    p50_us: round1(histQuantile(all, 0.5)),
    p99_us: round1(histQuantile(all, 0.99)),
    mean_us: count ? round1(totalNs / count / 1000) : null,
    max_bucket: histRange(all)?.hi ?? null,
  };
}

export class RunqlatProbe extends SchedProbe<RunqlatSample> {
  readonly name = 'runqlat';
  protected readonly part = SCHED_PART_RUNQLAT;
  private prev: Map<number, CpuHist> | null = null;
  private cpus: readonly number[] = [];

  protected override joined(obj: BpfObject, config: ProbeConfig): void {
    this.cpus = config.cpus;
    this.prev = this.read(obj);
  }

  protected override left(): void {
    this.prev = null;
  }

  private read(obj: BpfObject | null = this.obj): Map<number, CpuHist> {
    const per = obj!.map('hists').lookupPerCpu(Buffer.alloc(4)) ?? [];
    const m = new Map<number, CpuHist>();
    per.forEach((b, cpu) => m.set(cpu, decodeHist(b)));
    return m;
  }

  sample(): RunqlatSample {
    if (!this.obj) return summarize(new Map(), null, this.cpus);
    const cur = this.read();
    const s = summarize(cur, this.prev, this.cpus);
    this.prev = cur;
    return s;
  }
}
