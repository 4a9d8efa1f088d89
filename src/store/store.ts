// One zustand store: written by the probe manager (interval snapshots, feed batches, health) and by
// user intents (pin, toggle, pause, focus). The screen and the --json sink read the same truth.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ProbeCost, ProbeName, ProbeState } from '../probes/types.js';
import { PROBE_NAMES } from '../probes/types.js';
import { Ring } from './ring.js';
import { histQuantile } from '../probes/runqlat.js';

export const FEED_NAMES = ['exec', 'open', 'tcp'] as const;
export type FeedName = (typeof FEED_NAMES)[number];
/** Lines kept per feed for the screen (the newest win). */
export const FEED_CAPACITY = 500;

export interface ProbeHealth {
  state: ProbeState;
  reason?: string;
  cost?: ProbeCost;
}

/** One interval, exactly as --json prints it (minus formatting). */
export interface IntervalSnapshot {
  time: string;
  interval_s: number;
  pinned_cpu: number | null;
  probes: Record<ProbeName, ProbeHealth>;
  data: Partial<Record<ProbeName, unknown>>;
}

export interface FeedState {
  lines: Ring<unknown>;
  /** Bumped on every append so selectors see a change. */
  seq: number;
  /** Events lost since start (kernel drops and overflow), as reported by the probe's cost(). */
  lost: number;
}

export type PaneId = 'offcpu' | 'runqlat' | 'exec' | 'open' | 'tcp' | 'counters';
export const PANE_ORDER: readonly PaneId[] = ['offcpu', 'runqlat', 'exec', 'open', 'tcp', 'counters'];

export interface HostInfo {
  hostname: string;
  kernel: string;
  cpus: readonly number[];
  /** Boot time (ms since the epoch), for the uptime shown in the header. */
  bootTimeMs?: number;
}

export interface AppState {
  host: HostInfo;
  intervalS: number;
  pinnedCpu: number | null;
  /** The display is frozen; probes keep counting. */
  paused: boolean;
  helpOpen: boolean;
  focus: PaneId;
  /** Per-feed text filter typed with '/'. */
  filters: Record<FeedName, string>;
  /** Is the user typing a filter for the focused feed? */
  filterEditing: boolean;
  showIdle: boolean;
  /** What the user asked for; the manager makes it so and reports health. */
  enabled: Record<ProbeName, boolean>;
  health: Record<ProbeName, ProbeHealth>;
  /** The newest complete interval. */
  latest: IntervalSnapshot | null;
  /** What the screen shows: the newest interval, or the one frozen by pause. */
  shown: IntervalSnapshot | null;
  intervals: number;
  feeds: Record<FeedName, FeedState>;
  /** Frozen feed copies while paused. */
  shownFeeds: Record<FeedName, readonly unknown[]> | null;
  quitRequested: boolean;
  /** Per-interval figures kept for the sparklines (newest last, at most TREND_POINTS). */
  trend: readonly TrendPoint[];
  /** The trend frozen by pause (null when live). */
  shownTrend: readonly TrendPoint[] | null;
}

/** Intervals kept for the sparklines: wider than any pane. */
export const TREND_POINTS = 240;

/** What the sparklines need of one interval: run-queue p99 (us) per CPU key ("all", "0", ...). */
export interface TrendPoint {
  readonly runqP99: Readonly<Record<string, number | null>>;
}

/** The trend point of one interval (pure). A probe that did not report gives an empty point. */
export function trendPoint(snap: IntervalSnapshot): TrendPoint {
  const rq = snap.data.runqlat as { all?: number[]; cpus?: Record<string, number[]> } | null | undefined;
  const runqP99: Record<string, number | null> = {};
  if (rq?.all) {
    runqP99.all = histQuantile(rq.all, 0.99);
    for (const [cpu, slots] of Object.entries(rq.cpus ?? {})) runqP99[cpu] = histQuantile(slots, 0.99);
  }
  return { runqP99 };
}

export interface AppActions {
  commitInterval(snap: IntervalSnapshot): void;
  appendFeed(name: FeedName, events: readonly unknown[]): void;
  setHealth(name: ProbeName, h: ProbeHealth): void;
  toggleProbe(name: ProbeName): void;
  setEnabled(name: ProbeName, on: boolean): void;
  pinCpu(cpu: number | null): void;
  pinNext(step: 1 | -1): void;
  togglePause(): void;
  toggleHelp(): void;
  focusNext(step: 1 | -1): void;
  setFocus(p: PaneId): void;
  startFilter(): void;
  setFilter(name: FeedName, text: string): void;
  endFilter(): void;
  toggleIdle(): void;
  requestQuit(): void;
}

export type AppStore = StoreApi<AppState & AppActions>;

export interface StoreInit {
  host: HostInfo;
  intervalS: number;
  pinnedCpu: number | null;
  enabled: ProbeName[];
  showIdle?: boolean;
}

function initialHealth(enabled: ProbeName[]): Record<ProbeName, ProbeHealth> {
  const h = {} as Record<ProbeName, ProbeHealth>;
  for (const n of PROBE_NAMES) h[n] = { state: enabled.includes(n) ? 'running' : 'off' };
  return h;
}

function emptyFeeds(): Record<FeedName, FeedState> {
  return {
    exec: { lines: new Ring(FEED_CAPACITY), seq: 0, lost: 0 },
    open: { lines: new Ring(FEED_CAPACITY), seq: 0, lost: 0 },
    tcp: { lines: new Ring(FEED_CAPACITY), seq: 0, lost: 0 },
  };
}

/** Next/previous online CPU after `cur` (null = all: next starts from the first). */
export function stepCpu(cpus: readonly number[], cur: number | null, step: 1 | -1): number | null {
  if (cpus.length === 0) return null;
  if (cur === null) return step === 1 ? cpus[0] : cpus[cpus.length - 1];
  const i = cpus.indexOf(cur);
  if (i < 0) return cpus[0];
  return cpus[(i + step + cpus.length) % cpus.length];
}

export function createAppStore(init: StoreInit): AppStore {
  const enabled = {} as Record<ProbeName, boolean>;
  for (const n of PROBE_NAMES) enabled[n] = init.enabled.includes(n);
  return createStore<AppState & AppActions>()((set, get) => ({
    host: init.host,
    intervalS: init.intervalS,
    pinnedCpu: init.pinnedCpu,
    paused: false,
    helpOpen: false,
    focus: 'offcpu',
    filters: { exec: '', open: '', tcp: '' },
    filterEditing: false,
    showIdle: init.showIdle ?? false,
    enabled,
    health: initialHealth(init.enabled),
    latest: null,
    shown: null,
    intervals: 0,
    feeds: emptyFeeds(),
    shownFeeds: null,
    quitRequested: false,
    trend: [],
    shownTrend: null,

    commitInterval: (snap) =>
      set((s) => {
        // Feed losses accumulate from each interval's cost().lost.
        let feeds = s.feeds;
        for (const n of FEED_NAMES) {
          const lost = snap.probes[n]?.cost?.lost ?? 0;
          if (lost > 0) feeds = { ...feeds, [n]: { ...feeds[n], lost: feeds[n].lost + lost } };
        }
        const trend = [...s.trend.slice(-(TREND_POINTS - 1)), trendPoint(snap)];
        return {
          latest: snap,
          shown: s.paused ? s.shown : snap,
          trend,
          intervals: s.intervals + 1,
          health: { ...snap.probes },
          feeds,
        };
      }),
    appendFeed: (name, events) => {
      if (events.length === 0) return;
      const f = get().feeds[name];
      f.lines.pushAll(events);
      set((s) => ({ feeds: { ...s.feeds, [name]: { ...f, seq: f.seq + 1 } } }));
    },
    setHealth: (name, h) => set((s) => ({ health: { ...s.health, [name]: h } })),
    toggleProbe: (name) => set((s) => ({ enabled: { ...s.enabled, [name]: !s.enabled[name] } })),
    setEnabled: (name, on) => set((s) => ({ enabled: { ...s.enabled, [name]: on } })),
    pinCpu: (cpu) => set(() => ({ pinnedCpu: cpu })),
    pinNext: (step) => set((s) => ({ pinnedCpu: stepCpu(s.host.cpus, s.pinnedCpu, step) })),
    togglePause: () =>
      set((s) =>
        s.paused
          ? { paused: false, shown: s.latest, shownFeeds: null, shownTrend: null }
          : {
              paused: true,
              shownTrend: s.trend,
              shownFeeds: {
                exec: s.feeds.exec.lines.toArray(),
                open: s.feeds.open.lines.toArray(),
                tcp: s.feeds.tcp.lines.toArray(),
              },
            },
      ),
    toggleHelp: () => set((s) => ({ helpOpen: !s.helpOpen })),
    focusNext: (step) =>
      set((s) => {
        const i = PANE_ORDER.indexOf(s.focus);
        return { focus: PANE_ORDER[(i + step + PANE_ORDER.length) % PANE_ORDER.length], filterEditing: false };
      }),
    setFocus: (p) => set(() => ({ focus: p, filterEditing: false })),
    startFilter: () => set((s) => ((FEED_NAMES as readonly string[]).includes(s.focus) ? { filterEditing: true } : {})),
    setFilter: (name, text) => set((s) => ({ filters: { ...s.filters, [name]: text } })),
    endFilter: () => set(() => ({ filterEditing: false })),
    toggleIdle: () => set((s) => ({ showIdle: !s.showIdle })),
    requestQuit: () => set(() => ({ quitRequested: true })),
  }));
}
