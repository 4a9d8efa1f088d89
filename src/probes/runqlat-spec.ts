// The runqlat probe's data (see ProbeSpec): its sample (log2 histograms of run-queue latency, all
// CPUs and per CPU), its --json codec and its Prometheus histogram. The probe itself is
// runqlat.ts (its kernel side bpf/runqlat.bpf.h); its view is src/views/runqlat.ts.
import { log2Bounds } from '../model/hist.js';
import type { JsonLine, ProbeSpec } from './types.js';
import type { PromExporter, PromSeries } from './prom.js';
import { arrayOf, checked, nullable, num, obj, oneOf, recordOf } from './json-check.js';

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

/** The sample as --json holds it (checked on replay). */
const RUNQLAT_SCHEMA = obj({
  unit: oneOf(['us']),
  all: arrayOf(num),
  cpus: recordOf(arrayOf(num)),
  count: num,
  p50_us: nullable(num),
  p99_us: nullable(num),
  mean_us: nullable(num),
  max_bucket: nullable(num),
});

/**
 * Prometheus: one cumulative histogram per CPU (label `cpu`; no "all" series: PromQL sums the
 * CPUs), in seconds. Bucket k's upper bound is 2^(k+1) us; the kernel's last slot also holds
 * every longer wait (bpf/runqlat.bpf.h clamps), so it has no finite bound and only counts in +Inf.
 * `_sum`: the sample has the exact sum of the waits of all CPUs only (mean_us x count, mean
 * rounded to 0.1 us); each CPU's `_sum` is its count times that interval's all-CPU mean, so
 * the CPUs' `_sum` add up to the exact total and a single CPU's mean is approximated.
 */
function runqlatExporter(): PromExporter<RunqlatSample> {
  const perCpu = new Map<string, { slots: number[]; count: number; sumUs: number }>();
  return {
    add(s) {
      if (!s) return;
      const mean = s.mean_us ?? 0;
      for (const [cpu, slots] of Object.entries(s.cpus)) {
        let c = perCpu.get(cpu);
        if (!c) perCpu.set(cpu, (c = { slots: [], count: 0, sumUs: 0 }));
        let n = 0;
        slots.forEach((v, k) => {
          c.slots[k] = (c.slots[k] ?? 0) + v;
          n += v;
        });
        c.count += n;
        c.sumUs += n * mean;
      }
    },
    families() {
      if (perCpu.size === 0) return [];
      const series: PromSeries[] = [];
      for (const cpu of [...perCpu.keys()].sort((a, b) => Number(a) - Number(b))) {
        const c = perCpu.get(cpu)!;
        let cum = 0;
        for (let k = 0; k < c.slots.length - 1; k++) {
          cum += c.slots[k] ?? 0;
          series.push({ suffix: '_bucket', labels: { cpu, le: String(log2Bounds(k)[1] / 1e6) }, value: cum });
        }
        series.push({ suffix: '_bucket', labels: { cpu, le: '+Inf' }, value: c.count });
        series.push({ suffix: '_sum', labels: { cpu }, value: Math.round(c.sumUs * 1000) / 1e9 });
        series.push({ suffix: '_count', labels: { cpu }, value: c.count });
      }
      return [
        {
          name: 'perfscope_runqueue_latency_seconds',
          type: 'histogram',
          help: 'Time runnable tasks waited for a CPU, by the CPU they then ran on, since perfscope started (log2 buckets; _sum per CPU is its count times the all-CPU mean of each interval).',
          series,
        },
      ];
    },
  };
}

export const runqlat: ProbeSpec<'runqlat', RunqlatSample, never> = {
  name: 'runqlat',
  kind: 'aggregate',
  bpf: true,
  toJson: (s) => ({ runqlat: s }),
  fromJson: (line: JsonLine) => checked<RunqlatSample>(line.runqlat, RUNQLAT_SCHEMA, 'runqlat'),
  prometheus: runqlatExporter,
};
