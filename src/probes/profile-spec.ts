// The profile probe described to the rest of perfscope (see ProbeSpec): on-CPU stacks sampled
// at a fixed frequency on every online CPU (or the pinned one), counted in the kernel by
// (process, comm, kernel stack, user stack), symbolized per interval. The probe is profile.ts
// (bpf/profile.bpf.c); frames and folded lines are src/stacks/.
import { fmtCount } from '../model/format.js';
import { frameLabel, mergeRows, stackId, type StackRow } from '../stacks/frames.js';
import type { JsonLine, ProbeOption, ProbeSpec, PromExporter } from './types.js';

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

/** A stack row's id for the pane's selection (same process, comm and frames). */
export const profileRowId = (r: ProfileRow): string => stackId(r);

/** Stacks listed per interval (the rest are counted in `other`); --folded lists them all. */
export const PROFILE_MAX_STACKS = 500;

/** The stacks of the tasks whose comm contains `text` or whose pid starts with it. Pure. */
export function filterProfile(s: ProfileSample, text: string): ProfileSample {
  const t = text.trim();
  if (!t) return s;
  return { ...s, stacks: s.stacks.filter((r) => r.comm.includes(t) || String(r.tgid).startsWith(t)) };
}

/** Consecutive intervals as one: counts added, stacks merged by function path, hottest first. Pure. */
export function mergeProfiles(list: readonly ProfileSample[]): ProfileSample {
  const last = list[list.length - 1];
  const stacks = mergeRows(
    list.flatMap((s) => s.stacks),
    (a, b) => ({ ...a, count: a.count + b.count }),
  ).sort((a, b) => b.count - a.count);
  const sum = (f: (s: ProfileSample) => number) => list.reduce((a, s) => a + f(s), 0);
  return {
    hz: last.hz,
    cpus: [...new Set(list.flatMap((s) => s.cpus))].sort((a, b) => a - b),
    samples: sum((s) => s.samples),
    idle: sum((s) => s.idle),
    lost: sum((s) => s.lost),
    other: sum((s) => s.other) + stacks.slice(PROFILE_MAX_STACKS).reduce((a, r) => a + r.count, 0),
    stacks: stacks.slice(0, PROFILE_MAX_STACKS),
    symbolize_ms: Math.round(sum((s) => s.symbolize_ms) * 100) / 100,
  };
}

function isSample(v: unknown): v is ProfileSample {
  const s = v as ProfileSample | null;
  return !!s && typeof s === 'object' && Array.isArray(s.stacks) && typeof s.samples === 'number';
}

/** The leaf function of the hottest stack and its share: "leaf_a 62%". */
function hottest(s: ProfileSample): string {
  const top = s.stacks[0];
  if (!top || s.samples === 0) return 'no samples';
  const leaf = top.frames.length ? frameLabel(top.frames[top.frames.length - 1]) : '[no stack]';
  return `${leaf} ${Math.round((100 * top.count) / s.samples)}% (${top.comm})`;
}

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
    families: () => !seen ? [] : [
      { name: 'perfscope_profile_samples', type: 'counter', help: 'On-CPU stack samples of real tasks (after -p/-c).', series: [{ labels: {}, value: samples }] },
      { name: 'perfscope_profile_idle_samples', type: 'counter', help: 'Samples that found the CPU idle.', series: [{ labels: {}, value: idle }] },
      { name: 'perfscope_profile_lost_samples', type: 'counter', help: 'Samples with no stack row (the kernel table was full).', series: [{ labels: {}, value: lost }] },
    ],
  };
}

export const profile: ProbeSpec<'profile', ProfileSample, never> = {
  name: 'profile',
  title: 'CPU profile',
  tab: 'profile',
  key: '8',
  kind: 'aggregate',
  bpf: true,
  grid: { column: 1, row: 4, weight: 3 },
  // On demand (key 8, --probes): its stack walks, symbolization and tables cost more at rest than every other probe together.
  startsOff: true,
  create: async () => new (await import('./profile.js')).ProfileProbe(),
  toJson: (s) => ({ profile: s }),
  fromJson: (line: JsonLine) => (isSample(line.profile) ? line.profile : null),
  prometheus: profileExporter,
  options: [PROFILE_FREQUENCY],
  rowIds: (s) => s.stacks.map(profileRowId),
  filterText: filterProfile,
  altView: 'a tree of frames / one path per line (a tall pane starts with the tree)',
  merge: mergeProfiles,
  folded: { default: true, unit: 'samples', rows: (s) => s.stacks.map((row) => ({ row, count: row.count })) },
  summary: (s) => hottest(s),
  overview(s) {
    const busy = s.samples + s.idle;
    const pct = busy ? Math.round((100 * s.samples) / busy) : 0;
    return [`${fmtCount(s.samples)} samples at ${s.hz} Hz on ${s.cpus.length} CPU${s.cpus.length === 1 ? '' : 's'} (${pct}% busy)`, `hottest ${hottest(s)}`];
  },
};
