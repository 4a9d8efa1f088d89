// The probe manager: owns the tick, the pinned CPU, per-probe on/off and each probe's health.
// It starts every selected probe, samples them once per tick into one IntervalSnapshot, moves feed
// events to the store at a bounded rate, and follows the user's intents (toggle, pin) from the
// store. A probe that throws is marked failed and stopped; the others go on.
import { bpfUnavailableReason } from './bpf/caps.js';
import { describeError } from './bpf/error.js';
import { PROBE_FACTORIES } from './registry.js';
import { PROBE_NAMES, type Probe, type ProbeConfig, type ProbeCost, type ProbeName } from './types.js';
import type { AppStore, FeedName, IntervalSnapshot, ProbeHealth } from '../store/store.js';
import { FEED_NAMES } from '../store/store.js';

export interface ManagerOptions {
  intervalS: number;
  pid: number | null;
  comm: string | null;
  procRoot?: string;
  cpus: readonly number[];
  /** Why BPF cannot be used at all (no root, no BTF, --no-bpf), or null. */
  bpfReason?: string | null;
  /** Feed flush period for the screen (ms); 0 = only at ticks. */
  feedFlushMs?: number;
  factories?: Partial<Record<ProbeName, () => Probe<unknown, unknown>>>;
  now?: () => number;
}

type AnyProbe = Probe<unknown, unknown>;

export class ProbeManager {
  private probes = new Map<ProbeName, AnyProbe>();
  private health = {} as Record<ProbeName, ProbeHealth>;
  private tickTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastTick = 0;
  private nextDue = 0;
  private stopped = false;
  private readonly now: () => number;
  private readonly factories: Partial<Record<ProbeName, () => AnyProbe>>;
  readonly bpfReason: string | null;

  constructor(
    private readonly store: AppStore,
    private readonly opts: ManagerOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.factories = opts.factories ?? PROBE_FACTORIES;
    this.bpfReason = opts.bpfReason === undefined ? bpfUnavailableReason(opts.procRoot ?? '/proc') : opts.bpfReason;
  }

  private config(): ProbeConfig {
    return {
      pinnedCpu: this.store.getState().pinnedCpu,
      pid: this.opts.pid,
      comm: this.opts.comm,
      intervalS: this.opts.intervalS,
      procRoot: this.opts.procRoot ?? '/proc',
      cpus: this.opts.cpus,
    };
  }

  private setHealth(name: ProbeName, h: ProbeHealth): void {
    this.health[name] = h;
    this.store.getState().setHealth(name, h);
  }

  /** Start (or mark) one probe according to the store's `enabled`. Never throws. */
  private enable(name: ProbeName): void {
    if (this.probes.has(name)) return;
    const factory = this.factories[name];
    if (!factory) return this.setHealth(name, { state: 'unavailable', reason: 'not built into this perfscope yet' });
    let probe: AnyProbe;
    try {
      probe = factory();
    } catch (e) {
      return this.setHealth(name, { state: 'failed', reason: describeError(e) });
    }
    if (probe.bpf && this.bpfReason) return this.setHealth(name, { state: 'unavailable', reason: this.bpfReason });
    try {
      probe.start(this.config());
      this.probes.set(name, probe);
      this.setHealth(name, { state: 'running' });
    } catch (e) {
      try {
        probe.stop();
      } catch {
        /* already reported */
      }
      this.setHealth(name, { state: 'failed', reason: describeError(e) });
    }
  }

  private disable(name: ProbeName, state: 'off' | 'failed' = 'off', reason?: string): void {
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

  /** Probes currently running (for tests and the bench). */
  running(): ReadonlyMap<ProbeName, AnyProbe> {
    return this.probes;
  }

  /** Start the enabled probes and follow the store's intents. Does not start the timer. */
  start(): void {
    const s = this.store.getState();
    for (const name of PROBE_NAMES) {
      if (s.enabled[name]) this.enable(name);
      else this.setHealth(name, { state: 'off' });
    }
    this.lastTick = this.now();
    let prevEnabled = s.enabled;
    let prevPinned = s.pinnedCpu;
    this.unsubscribe = this.store.subscribe((st) => {
      if (this.stopped) return;
      if (st.enabled !== prevEnabled) {
        const was = prevEnabled;
        prevEnabled = st.enabled;
        for (const name of PROBE_NAMES) {
          if (st.enabled[name] === was[name]) continue;
          if (st.enabled[name]) this.enable(name);
          else this.disable(name);
        }
      }
      if (st.pinnedCpu !== prevPinned) {
        prevPinned = st.pinnedCpu;
        for (const [name, p] of this.probes) {
          try {
            p.setPinnedCpu?.(st.pinnedCpu);
          } catch (e) {
            this.disable(name, 'failed', describeError(e));
          }
        }
      }
    });
  }

  /** Move pending feed events into the store (bounded rate: called by a timer, not per event). */
  flushFeeds(): void {
    const st = this.store.getState();
    for (const name of FEED_NAMES as readonly FeedName[]) {
      const p = this.probes.get(name);
      if (!p?.drain) continue;
      try {
        const ev = p.drain();
        if (ev.length) st.appendFeed(name, ev);
      } catch (e) {
        this.disable(name, 'failed', describeError(e));
      }
    }
  }

  /** Sample every running probe once and commit one interval to the store. */
  tick(): IntervalSnapshot {
    const t = this.now();
    const elapsed = (t - this.lastTick) / 1000;
    this.lastTick = t;
    this.flushFeeds();
    const data: Partial<Record<ProbeName, unknown>> = {};
    const probes = {} as Record<ProbeName, ProbeHealth>;
    for (const name of PROBE_NAMES) {
      const p = this.probes.get(name);
      if (p) {
        try {
          data[name] = p.sample();
          const cost: ProbeCost | undefined = p.cost?.();
          this.health[name] = cost ? { state: 'running', cost } : { state: 'running' };
        } catch (e) {
          this.disable(name, 'failed', describeError(e));
          data[name] = null;
        }
      } else {
        data[name] = null;
      }
      probes[name] = this.health[name] ?? { state: 'off' };
    }
    const snap: IntervalSnapshot = {
      time: new Date().toISOString(),
      interval_s: Math.round(elapsed * 1000) / 1000,
      pinned_cpu: this.store.getState().pinnedCpu,
      probes,
      data,
    };
    this.store.getState().commitInterval(snap);
    return snap;
  }

  /** Run the tick timer (drift-free: each tick is scheduled from the previous due time). */
  run(onTick?: (snap: IntervalSnapshot) => void): void {
    const period = this.opts.intervalS * 1000;
    this.nextDue = this.now() + period;
    const schedule = () => {
      if (this.stopped) return;
      const delay = Math.max(0, this.nextDue - this.now());
      this.tickTimer = setTimeout(() => {
        this.nextDue += period;
        if (this.nextDue < this.now()) this.nextDue = this.now() + period; // fell behind: skip, don't burst
        const snap = this.tick();
        onTick?.(snap);
        schedule();
      }, delay);
    };
    schedule();
    const flush = this.opts.feedFlushMs ?? 100;
    if (flush > 0) {
      this.flushTimer = setInterval(() => this.flushFeeds(), flush);
      this.flushTimer.unref();
    }
  }

  /** Stop the timers and every probe (idempotent, never throws). */
  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.tickTimer = this.flushTimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
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
