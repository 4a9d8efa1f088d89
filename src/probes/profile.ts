// profile: bpf/profile.bpf.c on a CPU-clock perf event per sampled CPU (every online CPU, or
// the pinned one), at --frequency Hz. Per tick: the generation the program left, its rows
// symbolized (hottest first, PROFILE_MAX_STACKS of them), its counters (see the object's comment:
// samples = the rows' counts + lost).
import type { BpfObject } from '../bpf/object.js';
import { BpfProbe, setTaskFilter, u64 } from './bpf-probe.js';
import { PROFILE_FP, PROFILE_FREQUENCY, PROFILE_MAX_STACKS, type ProfileRow, type ProfileSample } from './profile-spec.js';
import { optionOf, ProbeArgError, type OptionValue, type ProbeConfig } from './types.js';
import { StackCollector } from '../stacks/collector.js';
import { mergeRows } from '../stacks/frames.js';

/** struct profile_stat of bpf/profile.h, in order (test/probes/layout.test.ts checks it against BTF). */
export const PROFILE_STAT_FIELDS = ['samples', 'idle', 'lost', 'kfail', 'ufail', 'unannounced', 'fp_rows'] as const;
export const PROFILE_STAT_LAYOUT = {
  struct: 'profile_stat',
  size: 8 * PROFILE_STAT_FIELDS.length,
  fields: Object.fromEntries(PROFILE_STAT_FIELDS.map((f, i) => [f, 8 * i])) as Record<(typeof PROFILE_STAT_FIELDS)[number], number>,
} as const;
const PROG = 'ps_profile';

export class ProfileProbe extends BpfProbe<ProfileSample> {
  readonly name = 'profile';
  private hz = PROFILE_FREQUENCY.default;
  private online: readonly number[] = [];
  private pinned: number | null = null;
  /** CPUs with an attached perf event now. */
  private sampling: number[] = [];
  private collector: StackCollector<number> | null = null;
  private lost = 0;
  private fpOnly = false;

  constructor(private readonly maxStacks = PROFILE_MAX_STACKS) {
    super();
  }

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    this.hz = optionOf(config, PROFILE_FREQUENCY);
    this.fpOnly = optionOf(config, PROFILE_FP);
    if (this.fpOnly) obj.setGlobal('unwind_wanted', Buffer.from([0]));
    this.online = config.cpus;
    this.pinned = config.pinnedCpu;
    setTaskFilter(obj, config);
  }

  /** The CPUs to sample: every online one, or the pinned one while it is online. */
  private wanted(): number[] {
    return this.pinned === null ? [...this.online] : this.online.includes(this.pinned) ? [this.pinned] : [];
  }

  /** Instead of attachAll: one perf event per sampled CPU. */
  protected override attachPrograms(obj: BpfObject): void {
    this.sampling = [];
    for (const cpu of this.wanted()) {
      obj.attachPerfEvent(PROG, cpu, this.hz);
      this.sampling.push(cpu);
    }
  }

  protected override started(obj: BpfObject, config: ProbeConfig): void {
    this.collector = new StackCollector(obj, config, PROFILE_STAT_FIELDS, (v) => u64(v, 0), this.fpOnly ? undefined : { of: () => 1, add: (a, b) => a + b });
    this.lost = 0;
  }

  protected override stopping(): void {
    this.collector?.close();
    this.collector = null;
    this.sampling = [];
  }

  protected override lostSinceLast(): number {
    const n = this.lost;
    this.lost = 0;
    return n;
  }

  /** The CPUs sampled now. */
  get cpus(): readonly number[] {
    return this.sampling;
  }

  private resample(): void {
    const obj = this.obj;
    if (!obj) return;
    obj.detachPerfEvents(PROG, this.sampling);
    this.attachPrograms(obj);
  }

  setPinnedCpu(cpu: number | null): void {
    this.pinned = cpu;
    this.resample();
  }

  /** Hotplug: a CPU that went offline loses its perf event, one that came back gets a new one. */
  setOnlineCpus(cpus: readonly number[]): void {
    this.online = cpus;
    this.resample();
  }

  async setOption(flag: string, value: OptionValue): Promise<void> {
    if (flag !== PROFILE_FREQUENCY.flag || typeof value !== 'number') throw new ProbeArgError(`profile has no setting --${flag}`);
    const was = this.hz;
    this.hz = value;
    try {
      this.resample();
    } catch (e) {
      this.hz = was;
      this.resample();
      throw e;
    }
  }

  sample(): ProfileSample {
    const c = this.collector;
    if (!this.obj || !c) return { hz: this.hz, cpus: [], samples: 0, idle: 0, lost: 0, other: 0, stacks: [], symbolize_ms: 0 };
    const got = c.take((a, b) => b - a, this.maxStacks);
    this.lost += got.counts.lost;
    // Rows are kept per instruction address in the kernel; shown per function path.
    const stacks: ProfileRow[] = mergeRows(
      got.rows.map(({ value, ...row }) => ({ ...row, count: value })),
      (a, b) => ({ ...a, count: a.count + b.count }),
    ).sort((a, b) => b.count - a.count);
    return {
      hz: this.hz,
      cpus: [...this.sampling],
      samples: got.counts.samples,
      idle: got.counts.idle,
      lost: got.counts.lost,
      other: got.rest.reduce((a, b) => a + b, 0),
      stacks,
      symbolize_ms: Math.round(got.symbolizeMs * 100) / 100,
      unwound: got.unwound,
      unwind_ms: Math.round(got.unwindMs * 100) / 100,
    };
  }
}
