// The probe manager: owns the tick, the pinned CPU, per-probe on/off and each probe's health, for
// the probes of a catalogue. It samples every running probe once per tick into one Interval and
// hands it to its sinks (the store, the --json writer, ...), hands feed events to them in
// batches at a bounded rate, and reports health changes between ticks. It knows none of its
// sinks. Starting a probe is asynchronous (its module is imported, its programs loaded): the
// probe is `starting` meanwhile and the caller's event loop, and so the screen, keeps running.
// A probe that throws is marked failed and stopped; the others go on. A sink that throws is
// reported (SinkHealth: `failed` with its reason, one sinkHealth() call to the other sinks on each
// change, a count of its errors in every later interval's `sinks`) and called again next time;
// the other sinks go on.
import { bpfUnavailableReason } from '../bpf/caps.js';
import { describeError } from '../bpf/error.js';
import { parseCpuList } from '../probes/cpus.js';
import { readFileSync } from 'node:fs';
import { ProbeUnavailable, type ArgsEdit, type OptionValue, type Probe, type ProbeConfig, type ProbeCost, type ProbeHealth } from '../probes/types.js';
import type { Catalogue, FeedName, Interval, IntervalData, ProbeName, SinkHealth } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import { cgroups as sharedCgroups, type Cgroups } from '../probes/cgroup/registry.js';

export interface ManagerOptions {
  intervalS: number;
  pid: number | null;
  comm: string | null;
  /** perfscope's own process, left out of the feeds and per-task tables (ProbeConfig.selfTgid); null: kept. */
  selfTgid?: number | null;
  procRoot?: string;
  sysRoot?: string;
  cpus: readonly number[];
  pinnedCpu?: number | null;
  /** Why BPF cannot be used at all (no root, no BTF, --no-bpf), or null. */
  bpfReason?: string | null;
  /** Feed flush period for the screen (ms); 0 = only at ticks. */
  feedFlushMs?: number;
  sinks?: readonly Sink[];
  now?: () => number;
  /** The values of each probe's own option (ProbeSpec.args, e.g. --trace), resolved, by probe name. */
  args?: Readonly<Record<string, readonly string[]>>;
  /** Each probe's settings (ProbeSpec.options) that differ from their defaults, by probe name, then flag. */
  options?: Readonly<Record<string, Readonly<Record<string, OptionValue>>>>;
  /** --cgroup: the values (paths, container names or ids, units); empty or absent: every cgroup. */
  cgroups?: readonly string[];
  /** Where the --cgroup values are resolved (tests give their own); default: the process's registry. */
  cgroupRegistry?: Cgroups;
}

const NO_ARGS: readonly string[] = [];

/** The screen's feed flush period (ms): its panes take new lines ~10 times a second. */
export const SCREEN_FEED_FLUSH_MS = 100;

/** Events of an interval a feed keeps in count mode (the newest: the overview shows the last). */
export const FEED_COUNT_MODE_KEEP = 1;

/** What the manager knows of a sink: its name, the calls of it that threw, the last one's error while it lasts. */
interface SinkState {
  readonly sink: Sink;
  readonly name: string;
  errors: number;
  /** The error of its last call, until an interval() call of it succeeds; null: it works. */
  reason: string | null;
}

/** An error's first line (a sink's error is shown on one line, wherever it came from). */
function firstLine(e: unknown): string {
  return describeError(e).split('\n')[0];
}

// The catalogue's specs create probes of their own sample type; the manager keeps each one under
// its name and stores its sample under the same name, which is what IntervalData says.
// biome-ignore lint/suspicious/noExplicitAny: the one place where generic code meets each probe's own sample type
type AnyProbe = Probe<any, any>;

const sinkReport = (sinks: Record<string, SinkHealth> | undefined) => (sinks ? { sinks } : {});

export class ProbeManager {
  private probes = new Map<string, AnyProbe>();
  private health = new Map<string, ProbeHealth>();
  /** Bumped by every enable/disable of a probe: a start that finishes under an older one is undone. */
  private generation = new Map<string, number>();
  private pending = new Set<Promise<void>>();
  private tickTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private runStarted = false;
  private feedsShown = true;
  private lastTick = 0;
  private nextDue = 0;
  private stopped = false;
  private pinned: number | null;
  /** CPUs online now (hotplug: followHotplug). */
  private online: readonly number[];
  private readonly now: () => number;
  private readonly sinks: readonly Sink[];
  private readonly sinkStates: readonly SinkState[];
  /** Does any sink take feed batches (drain)? */
  private readonly drains: boolean;
  /** Feeds keep only this many events per interval (count mode), or null: the whole list. */
  private readonly feedKeep: number | null;
  /** Each probe's own option values (kept across off/on). */
  private args = new Map<string, readonly string[]>();
  /** Each probe's settings (kept across off/on). */
  private options = new Map<string, Readonly<Record<string, OptionValue>>>();
  /** --cgroup values now (live: setCgroupFilter), and the ids they resolved to last (null: no filter). */
  private cgroupSpecs: readonly string[];
  private cgroupIds: readonly number[] | null = null;
  /** Option edits run one after another. */
  private edits: Promise<unknown> = Promise.resolve();
  readonly bpfReason: string | null;

  constructor(
    readonly catalogue: Catalogue,
    private readonly opts: ManagerOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.sinks = opts.sinks ?? [];
    const names = new Set<string>();
    this.sinkStates = this.sinks.map((sink, i) => {
      let name = sink.name ?? `sink${i}`;
      if (names.has(name)) name = `${name}${i}`;
      names.add(name);
      return { sink, name, errors: 0, reason: null };
    });
    this.drains = this.sinks.some((s) => s.feed);
    const readers = this.sinks.filter((s) => s.interval);
    this.feedKeep = readers.length > 0 && readers.every((s) => s.feedCountOnly) ? FEED_COUNT_MODE_KEEP : null;
    this.pinned = opts.pinnedCpu ?? null;
    this.online = opts.cpus;
    this.bpfReason = opts.bpfReason === undefined ? bpfUnavailableReason(opts.procRoot ?? '/proc') : opts.bpfReason;
    for (const s of catalogue) this.health.set(s.name, { state: 'off' });
    for (const [name, values] of Object.entries(opts.args ?? {})) this.args.set(name, values);
    for (const [name, values] of Object.entries(opts.options ?? {})) this.options.set(name, values);
    this.cgroupSpecs = opts.cgroups ?? [];
    this.resolveCgroups();
    this.lastTick = this.now();
  }

  private get registry(): Cgroups {
    return this.opts.cgroupRegistry ?? sharedCgroups();
  }

  /**
   * The ids the --cgroup values select now (each value's subtree; a cgroup made since the last
   * walk of the hierarchy joins at the next, at most one interval later). Returns whether they
   * changed.
   */
  private resolveCgroups(): boolean {
    let next: number[] | null = null;
    if (this.cgroupSpecs.length > 0) {
      const reg = this.registry;
      reg.tree.refresh();
      const ids = new Set<number>();
      for (const s of this.cgroupSpecs) for (const id of reg.match(s)) ids.add(id);
      next = [...ids].sort((a, b) => a - b);
    }
    const prev = this.cgroupIds;
    const same = prev === next || (prev !== null && next !== null && prev.length === next.length && prev.every((v, i) => v === next![i]));
    if (same) return false;
    this.cgroupIds = next;
    return true;
  }

  /** The --cgroup values in force (empty: every cgroup). */
  get cgroupFilter(): readonly string[] {
    return this.cgroupSpecs;
  }

  /** The cgroup ids the filter lets through now, or null when there is no filter. */
  get cgroupFilterIds(): readonly number[] | null {
    return this.cgroupIds;
  }

  /** Change --cgroup live (empty: off); every running probe's kernel filter follows at once. */
  setCgroupFilter(specs: readonly string[]): void {
    this.cgroupSpecs = [...specs];
    if (this.resolveCgroups()) this.tell((p) => p.setCgroups?.(this.cgroupIds));
  }

  private config(name: string): ProbeConfig {
    return {
      pinnedCpu: this.pinned,
      pid: this.opts.pid,
      comm: this.opts.comm,
      selfTgid: this.opts.selfTgid ?? null,
      intervalS: this.opts.intervalS,
      procRoot: this.opts.procRoot ?? '/proc',
      sysRoot: this.opts.sysRoot ?? '/sys',
      cpus: this.online,
      args: this.args.get(name) ?? NO_ARGS,
      options: this.options.get(name) ?? {},
      cgroups: this.cgroupIds,
      bpf: this.bpfReason === null,
    };
  }

  /** The value of a probe's setting now (its default when never set). */
  optionOf(name: string, flag: string): OptionValue | undefined {
    const o = this.catalogue.find((s) => s.name === name)?.options?.find((x) => x.flag === flag);
    return this.options.get(name)?.[flag] ?? o?.default;
  }

  /**
   * Change a probe's setting live (a running probe follows it; an off one takes it when it next
   * starts). Resolves with null, or with the one line saying why not; then nothing has changed.
   * Never rejects; runs in order with the option edits.
   */
  setOption(name: string, flag: string, value: OptionValue): Promise<string | null> {
    const run = this.edits.then(() => this.applyOption(name, flag, value));
    this.edits = run;
    return run;
  }

  private async applyOption(name: string, flag: string, value: OptionValue): Promise<string | null> {
    const o = this.catalogue.find((s) => s.name === name)?.options?.find((x) => x.flag === flag);
    if (!o) return `${name} has no setting --${flag}`;
    if (typeof value !== typeof o.default) return `--${flag} takes ${o.kind === 'boolean' ? 'on or off' : 'a whole number'}`;
    if (this.stopped) return null;
    const probe = this.probes.get(name);
    if (probe?.setOption) {
      try {
        await probe.setOption(flag, value);
      } catch (e) {
        return describeError(e);
      }
    }
    this.options.set(name, { ...(this.options.get(name) ?? {}), [flag]: value });
    return null;
  }

  /** The values of a probe's own option, as they are now. */
  argsOf(name: string): readonly string[] {
    return this.args.get(name) ?? [];
  }

  /**
   * Add a value to a probe's own option (ProbeSpec.args) or remove one, live: the running probe
   * follows it (an off one starts, for an add). Resolves with null, or with the one line saying
   * why not; then nothing has changed. Never rejects; edits run in order.
   */
  editArgs(name: string, edit: ArgsEdit): Promise<string | null> {
    const run = this.edits.then(() => this.applyEdit(name, edit));
    this.edits = run;
    return run;
  }

  private async applyEdit(name: string, edit: ArgsEdit): Promise<string | null> {
    const spec = this.catalogue.find((s) => s.name === name);
    if (!spec?.args) return `${name} takes no values`;
    if (this.stopped) return null;
    const cur = this.args.get(name) ?? [];
    let next: string[];
    try {
      next = 'add' in edit ? spec.args.resolve([...cur, edit.add], { pid: this.opts.pid }) : cur.filter((v) => v !== edit.remove);
    } catch (e) {
      return describeError(e);
    }
    const probe = this.probes.get(name);
    if (probe?.setArgs) {
      try {
        await probe.setArgs(next);
      } catch (e) {
        return describeError(e);
      }
    }
    this.args.set(name, next);
    if (!probe && 'add' in edit && !this.isEnabled(name)) void this.setEnabled(name, true);
    return null;
  }

  private setHealth(name: string, h: ProbeHealth): void {
    this.health.set(name, h);
    this.toSinks((s) => s.health?.(name as ProbeName, h));
  }

  /**
   * Call every sink, each on its own: one that throws is counted and reported (failed, with the
   * error's first line, said once to the other sinks' sinkHealth) and the next is called.
   * `interval`: this is an interval's call, whose success ends a sink's failed state.
   */
  private toSinks(fn: (s: Sink) => void, interval = false): void {
    for (const st of this.sinkStates) {
      try {
        fn(st.sink);
        if (interval && st.reason !== null) {
          st.reason = null;
          this.tellSinkHealth(st);
        }
      } catch (e) {
        st.errors++;
        const was = st.reason;
        st.reason = firstLine(e);
        if (was === null) this.tellSinkHealth(st);
      }
    }
  }

  /** A sink's health changed: the others hear of it (each on its own; a sinkHealth() that throws is counted, not told again). */
  private tellSinkHealth(changed: SinkState): void {
    const h = this.sinkHealthOf(changed);
    for (const st of this.sinkStates) {
      try {
        st.sink.sinkHealth?.(changed.name, h);
      } catch (e) {
        st.errors++;
        st.reason ??= firstLine(e);
      }
    }
  }

  private sinkHealthOf(st: SinkState): SinkHealth {
    let lost = 0;
    let failure: string | null = null;
    try {
      lost = st.sink.lost?.() ?? 0;
      failure = st.sink.failure?.() ?? null;
    } catch (e) {
      failure = firstLine(e);
    }
    const reason = st.reason ?? failure;
    return {
      state: reason === null ? 'running' : 'failed',
      ...(reason !== null ? { reason } : {}),
      ...(st.errors > 0 ? { errors: st.errors } : {}),
      ...(lost > 0 ? { lost } : {}),
    };
  }

  /** Every sink's health now, by name (also those that never failed). */
  sinkHealth(): Readonly<Record<string, SinkHealth>> {
    return Object.fromEntries(this.sinkStates.map((st) => [st.name, this.sinkHealthOf(st)]));
  }

  /** The sinks that failed or lost something, for an interval's `sinks`; undefined when none did (the line is as it always was). */
  private sinksReport(): Record<string, SinkHealth> | undefined {
    let out: Record<string, SinkHealth> | undefined;
    for (const st of this.sinkStates) {
      const h = this.sinkHealthOf(st);
      if (h.state === 'running' && !h.errors && !h.lost) continue;
      (out ??= {})[st.name] = h;
    }
    return out;
  }

  private bump(name: string): number {
    const g = (this.generation.get(name) ?? 0) + 1;
    this.generation.set(name, g);
    return g;
  }

  /** A probe's health now. */
  healthOf(name: string): ProbeHealth {
    return this.health.get(name) ?? { state: 'off' };
  }

  /** Is a probe wanted (running or starting)? */
  isEnabled(name: string): boolean {
    const st = this.health.get(name)?.state;
    return st === 'running' || st === 'starting';
  }

  /** Switch a probe on or off. Resolves when it is running, off, unavailable or failed; never rejects. */
  setEnabled(name: string, on: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!on) {
      this.bump(name);
      this.disable(name);
      return Promise.resolve();
    }
    if (this.isEnabled(name)) return this.settled();
    const gen = this.bump(name);
    this.setHealth(name, { state: 'starting' });
    const p = this.startOne(name, gen).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return p;
  }

  private async startOne(name: string, gen: number): Promise<void> {
    const current = () => !this.stopped && this.generation.get(name) === gen;
    const spec = this.catalogue.find((s) => s.name === name);
    if (!spec) return this.setHealth(name, { state: 'unavailable', reason: 'not built into this perfscope' });
    if (spec.bpf && this.bpfReason) return this.setHealth(name, { state: 'unavailable', reason: this.bpfReason });
    let probe: AnyProbe | null = null;
    try {
      // Let the caller finish its turn (a key press, the first frame) before any work.
      await new Promise<void>((r) => setImmediate(r));
      if (!current()) return;
      probe = await spec.create();
      if (!current()) return;
      if (spec.kind === 'feed') probe.keepNewest?.(this.feedKeep);
      const config = this.config(name);
      await (probe.startAsync ? probe.startAsync(config) : probe.start(config));
      if (!current()) {
        probe.stop();
        return;
      }
      // Its option was edited while it started: follow the edit.
      const args = this.args.get(name) ?? NO_ARGS;
      if (args !== config.args && probe.setArgs) await probe.setArgs(args);
      if (this.pinned !== config.pinnedCpu) probe.setPinnedCpu?.(this.pinned);
      if (this.cgroupIds !== config.cgroups) probe.setCgroups?.(this.cgroupIds);
      this.probes.set(name, probe);
      this.setHealth(name, { state: 'running' });
    } catch (e) {
      try {
        probe?.stop();
      } catch {
        /* the start error is the one to report */
      }
      if (current()) this.setHealth(name, { state: e instanceof ProbeUnavailable ? 'unavailable' : 'failed', reason: describeError(e) });
    }
  }

  private disable(name: string, state: 'off' | 'failed' = 'off', reason?: string): void {
    const p = this.probes.get(name);
    this.probes.delete(name);
    if (p) {
      try {
        p.stop();
      } catch (e) {
        state = 'failed';
        reason = describeError(e);
      }
    }
    this.setHealth(name, reason ? { state, reason } : { state });
  }

  /** Resolves when no start is in flight. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Probes currently running (for tests and the bench). */
  running(): ReadonlyMap<string, AnyProbe> {
    return this.probes;
  }

  /** Start these probes (the others are off). Resolves when every start has settled. */
  start(enabled: readonly string[]): Promise<void> {
    this.lastTick = this.now();
    for (const s of this.catalogue) {
      if (enabled.includes(s.name)) void this.setEnabled(s.name, true);
      else this.setHealth(s.name, { state: 'off' });
    }
    return this.settled();
  }

  /** Follow a live change of the pinned CPU (probes with kernel-side filters change them). */
  setPinnedCpu(cpu: number | null): void {
    if (cpu === this.pinned) return;
    this.pinned = cpu;
    this.tell((p) => p.setPinnedCpu?.(cpu));
  }

  /** A live change told to every running probe: one that throws is failed, the others go on. */
  private tell(fn: (p: AnyProbe) => void): void {
    for (const [name, p] of this.probes) {
      try {
        fn(p);
      } catch (e) {
        this.bump(name);
        this.disable(name, 'failed', describeError(e));
      }
    }
  }

  get pinnedCpu(): number | null {
    return this.pinned;
  }

  /**
   * CPU hotplug: the online CPUs, read each tick; when they changed, every running probe that
   * cares hears of it (the profile probe re-opens the perf event of a CPU that came back: an
   * event of a CPU that went offline never counts again). The pinned CPU stays pinned: while it
   * is offline its per-CPU views are empty, and they resume when it returns.
   */
  private followHotplug(): void {
    let now: number[];
    try {
      now = parseCpuList(readFileSync(`${this.opts.sysRoot ?? '/sys'}/devices/system/cpu/online`, 'utf8'));
    } catch {
      return; // no such file (fixture trees): keep the CPUs known
    }
    if (now.length === 0) return;
    if (now.length === this.online.length && now.every((c, i) => c === this.online[i])) return;
    this.online = now;
    this.tell((p) => p.setOnlineCpus?.(now));
  }

  /** Hand pending feed events to the sinks (bounded rate: called by a timer, not per event). */
  flushFeeds(): void {
    if (!this.drains) return; // nobody would read them: leave the recent lists to the reader's cap
    for (const spec of this.catalogue) {
      if (spec.kind !== 'feed') continue;
      const p = this.probes.get(spec.name);
      if (!p?.drain) continue;
      let ev: ReturnType<NonNullable<AnyProbe['drain']>>;
      try {
        ev = p.drain();
      } catch (e) {
        this.bump(spec.name);
        this.disable(spec.name, 'failed', describeError(e));
        continue;
      }
      if (ev.length) this.toSinks((s) => s.feed?.(spec.name as FeedName, ev));
    }
  }

  /** Sample every running probe once and hand one interval to every sink. */
  tick(): Interval {
    const t = this.now();
    const elapsed = (t - this.lastTick) / 1000;
    this.lastTick = t;
    this.followHotplug();
    // --cgroup: cgroups made below a selected one since the last walk join the filter.
    if (this.cgroupSpecs.length > 0 && this.resolveCgroups()) this.tell((p) => p.setCgroups?.(this.cgroupIds));
    this.flushFeeds();
    const data: Record<string, unknown> = {};
    const probes: Record<string, ProbeHealth> = {};
    for (const spec of this.catalogue) {
      const name = spec.name;
      const p = this.probes.get(name);
      data[name] = null;
      if (p) {
        try {
          data[name] = p.sample();
          const cost: ProbeCost | undefined = p.cost?.();
          this.health.set(name, cost ? { state: 'running', cost } : { state: 'running' });
        } catch (e) {
          this.bump(name);
          this.disable(name, 'failed', describeError(e));
          data[name] = null;
        }
      }
      probes[name] = this.health.get(name) ?? { state: 'off' };
    }
    const iv: Interval = {
      time: new Date().toISOString(),
      interval_s: Math.round(elapsed * 1000) / 1000,
      pinned_cpu: this.pinned,
      online_cpus: this.online,
      probes: probes as Interval['probes'],
      ...sinkReport(this.sinksReport()),
      data: data as IntervalData,
    };
    this.toSinks((s) => s.interval?.(iv), true);
    return iv;
  }

  /** Run the tick timer (drift-free: each tick is scheduled from the previous due time). */
  run(): void {
    const period = this.opts.intervalS * 1000;
    this.lastTick = this.now();
    this.nextDue = this.now() + period;
    const schedule = () => {
      if (this.stopped) return;
      const delay = Math.max(0, this.nextDue - this.now());
      this.tickTimer = setTimeout(() => {
        this.nextDue += period;
        if (this.nextDue < this.now()) this.nextDue = this.now() + period; // fell behind: skip, don't burst
        this.tick();
        schedule();
      }, delay);
    };
    schedule();
    this.runStarted = true;
    this.armFlush();
  }

  /** The feed flush timer, while the run goes on and a feed's lines are shown (setFeedsShown). */
  private armFlush(): void {
    const flush = this.opts.feedFlushMs ?? 100;
    const want = this.runStarted && !this.stopped && this.feedsShown && flush > 0;
    if (want && !this.flushTimer) {
      this.flushTimer = setInterval(() => this.flushFeeds(), flush);
      this.flushTimer.unref();
    } else if (!want && this.flushTimer) {
      clearInterval(this.flushTimer);
      this.flushTimer = null;
    }
  }

  /**
   * The screen shows a feed's lines (a feed pane on screen, not paused) or not: the feeds are
   * drained between ticks only while it does (each tick drains them anyway). Default: shown.
   */
  setFeedsShown(on: boolean): void {
    this.feedsShown = on;
    this.armFlush();
  }

  /** Stop the timers and every probe (idempotent, never throws). A start still in flight is undone when it finishes. */
  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.tickTimer = this.flushTimer = null;
    for (const [name, p] of this.probes) {
      try {
        p.stop();
      } catch {
        /* exiting: nothing more to do; the kernel frees fds at exit */
      }
      this.probes.delete(name);
    }
  }
}
