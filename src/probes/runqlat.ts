// runqlat: run-queue latency as log2 microsecond histograms, per CPU and for all CPUs.
// The kernel keeps cumulative per-CPU counts (bpf/runqlat.bpf.c); each tick we read them once
// and report the difference from the previous read, so nothing is lost between intervals.
import type { BpfObject } from './bpf.js';
import { BpfProbe, u64 } from './bpf-probe.js';
import type { ProbeConfig } from './types.js';

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

export interface RunqlatSample {
  unit: 'us';
  /** Counts per log2 bucket over all CPUs, bucket 0 first: bucket k is [2^k, 2^(k+1)) us, bucket 0 is [0, 2). */
  all: number[];
  /** Per online CPU, same layout. */
  cpus: Record<string, number[]>;
  count: number;
  p50_us: number | null;
  p99_us: number | null;
  mean_us: number | null;
  /** Index of the highest non-empty bucket of `all`, or null. */
  max_bucket: number | null;
}

/** Decode one CPU's slot of the `hists` per-CPU array. */
export function decodeHist(b: Buffer): CpuHist {
  const slots = new Array<number>(RUNQLAT_MAX_SLOTS);
  for (let i = 0; i < RUNQLAT_MAX_SLOTS; i++) slots[i] = u64(b, RUNQLAT_LAYOUT.fields.slots + i * 8);
  return { slots, totalNs: u64(b, RUNQLAT_LAYOUT.fields.total_ns) };
}

/** Bucket bounds in microseconds: [lo, hi). */
export function bucketBounds(k: number): [number, number] {
  return k === 0 ? [0, 2] : [2 ** k, 2 ** (k + 1)];
}

/**
 * The q-quantile (0..1) of a log2 histogram, interpolated linearly inside the bucket that holds
 * it (the data do not say where in the bucket a wait fell; linear is the usual assumption).
 * null for an empty histogram.
 */
export function histQuantile(slots: readonly number[], q: number): number | null {
  const total = slots.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let seen = 0;
  for (let k = 0; k < slots.length; k++) {
    const c = slots[k];
    if (c === 0) continue;
    if (seen + c >= rank) {
      const [lo, hi] = bucketBounds(k);
      return lo + ((rank - seen) / c) * (hi - lo);
    }
    seen += c;
  }
  const last = slots.length - 1;
  return bucketBounds(last)[1];
}

function round1(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}

export function diffSlots(cur: readonly number[], prev: readonly number[] | undefined): number[] {
  // Counters only grow; a smaller value means the map was recreated: take it as new.
  return cur.map((v, i) => {
    const p = prev?.[i] ?? 0;
    return v >= p ? v - p : v;
  });
}

export function summarize(perCpu: Map<number, CpuHist>, prev: Map<number, CpuHist> | null, cpus: readonly number[]): RunqlatSample {
  const all = new Array<number>(RUNQLAT_MAX_SLOTS).fill(0);
  const out: Record<string, number[]> = {};
  let totalNs = 0;
  for (const cpu of cpus) {
    const cur = perCpu.get(cpu);
    if (!cur) continue;
    const p = prev?.get(cpu);
    const d = diffSlots(cur.slots, p?.slots);
    out[String(cpu)] = d;
    d.forEach((v, i) => (all[i] += v));
    const dn = cur.totalNs - (p?.totalNs ?? 0);
    totalNs += dn >= 0 ? dn : cur.totalNs;
  }
  const count = all.reduce((a, b) => a + b, 0);
  let maxBucket: number | null = null;
  all.forEach((v, i) => {
    if (v > 0) maxBucket = i;
  });
  return {
    unit: 'us',
    all,
    cpus: out,
    count,
    p50_us: round1(histQuantile(all, 0.5)),
    p99_us: round1(histQuantile(all, 0.99)),
    mean_us: count ? round1(totalNs / count / 1000) : null,
    max_bucket: maxBucket,
  };
}

export class RunqlatProbe extends BpfProbe {
  readonly name = 'runqlat' as const;
  private prev: Map<number, CpuHist> | null = null;
  private cpus: readonly number[] = [];

  protected override started(_obj: BpfObject, config: ProbeConfig): void {
    this.cpus = config.cpus;
    this.prev = this.read();
  }

  private read(): Map<number, CpuHist> {
    const per = this.obj!.map('hists').lookupPerCpu(Buffer.alloc(4)) ?? [];
    const m = new Map<number, CpuHist>();
    per.forEach((b, cpu) => m.set(cpu, decodeHist(b)));
    return m;
  }

  sample(): RunqlatSample {
    const cur = this.read();
    const s = summarize(cur, this.prev, this.cpus);
    this.prev = cur;
    return s;
  }

  override stop(): void {
    this.prev = null;
    super.stop();
  }
}
