// The profile probe's data (see ProbeSpec; its view is src/views/profile.ts): on-CPU stacks sampled
// at a fixed frequency on every online CPU (or the pinned one), counted in the kernel by
// (process, comm, kernel stack, user stack), symbolized per interval. The probe is profile.ts
// (bpf/profile.bpf.c); frames and folded lines are src/stacks/.
import type { StackRow } from '../stacks/frames.js';
import type { JsonLine, ProbeOption, ProbeSpec } from './types.js';
import type { PromExporter } from './prom.js';
import { arrayOf, checked, num, obj, optional, STACK_ROW_SHAPE } from './json-check.js';

export interface ProfileRow extends StackRow {
  /** Samples of this stack in the interval. */
  count: number;
}

export interface ProfileSample {
  /** Samples per second per CPU. */
  hz: number;
  /** The CPUs sampled. */
  cpus: number[];
  /** Samples of real tasks that passed -p/-c (the idle task's are `idle`). */
  samples: number;
  idle: number;
  /** Samples with no row (the kernel's table was full): in samples, in no stack. */
  lost: number;
  /** Samples of the stacks not listed (beyond the interval's cap). */
  other: number;
  /** The stacks, most samples first. */
  stacks: ProfileRow[];
  /** Time spent symbolizing this interval's stacks, ms. */
  symbolize_ms: number;
  /** User stacks unwound in perfscope this interval (copied by the kernel; see docs/stacks.md), and the time it took, ms. */
  unwound?: number;
  unwind_ms?: number;
}

export const PROFILE_FREQUENCY: ProbeOption & { default: number } = {
  flag: 'frequency',
  short: 'F',
  kind: 'integer',
  metavar: 'HZ',
  help: 'profile: stack samples per second per CPU (default 49)',
  default: 49,
  min: 1,
  max: 10000,
  cycle: [49, 99, 199, 499, 997, 19],
  key: 'f',
};

/** Frame pointers only: the kernel walks user stacks by frame pointer, nothing is copied or unwound by CFI (the cost and the stacks of before). */
export const PROFILE_FP: ProbeOption & { default: boolean } = {
  flag: 'profile-fp',
  kind: 'boolean',
  help: 'profile: walk user stacks by frame pointer only (no stack copies, no CFI unwinding)',
  default: false,
};

/** Stacks listed per interval (the rest are counted in `other`); --folded lists them all. */
export const PROFILE_MAX_STACKS = 500;

/** The sample as --json holds it (checked on replay). */
const PROFILE_SCHEMA = obj({
  hz: num,
  cpus: arrayOf(num),
  samples: num,
  idle: num,
  lost: num,
  other: num,
  stacks: arrayOf(obj({ ...STACK_ROW_SHAPE, count: num })),
  symbolize_ms: num,
  unwound: optional(num),
  unwind_ms: optional(num),
});

function profileExporter(): PromExporter<ProfileSample> {
  let samples = 0;
  let idle = 0;
  let lost = 0;
  let seen = false;
  return {
    add(s) {
      if (!s) return;
      seen = true;
      samples += s.samples;
      idle += s.idle;
      lost += s.lost;
    },
    families: () =>
      !seen
        ? []
        : [
            {
              name: 'perfscope_profile_samples',
              type: 'counter',
              help: 'On-CPU stack samples of real tasks (after -p/-c).',
              series: [{ labels: {}, value: samples }],
            },
            { name: 'perfscope_profile_idle_samples', type: 'counter', help: 'Samples that found the CPU idle.', series: [{ labels: {}, value: idle }] },
            {
              name: 'perfscope_profile_lost_samples',
              type: 'counter',
              help: 'Samples with no stack row (the kernel table was full).',
              series: [{ labels: {}, value: lost }],
            },
          ],
  };
}

export const profile: ProbeSpec<'profile', ProfileSample, never> = {
  name: 'profile',
  kind: 'aggregate',
  bpf: true,
  // On demand (key 8, --probes): its stack walks, symbolization and tables cost more at rest than every other probe together.
  startsOff: true,
  toJson: (s) => ({ profile: s }),
  fromJson: (line: JsonLine) => checked<ProfileSample>(line.profile, PROFILE_SCHEMA, 'profile'),
  prometheus: profileExporter,
  options: [PROFILE_FREQUENCY, PROFILE_FP],
  folded: {
    default: true,
    unit: 'samples',
    rows: (s) => s.stacks.map((row) => ({ row, count: row.count })),
    pprof: {
      types: [
        ['samples', 'count'],
        ['cpu', 'nanoseconds'],
      ],
      periodNs: (s) => Math.round(1e9 / (s.hz > 0 ? s.hz : PROFILE_FREQUENCY.default)),
      rows: (s) => s.stacks.map((row) => ({ row, count: row.count, ns: row.count * Math.round(1e9 / (s.hz > 0 ? s.hz : PROFILE_FREQUENCY.default)) })),
    },
  },
};
