// One zustand store: written by the probe manager through its sink (intervals, feed batches,
// health: src/store/store-sink.ts) and by user intents (pin, toggle, pause, focus). The screen
// reads it. It knows the probes only through the catalogue it is given.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ArgsEdit, OptionValue, ProbeHealth } from '../probes/types.js';
import type { EventOf, FeedName, Interval, ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import { fromSpec, sampleOf } from '../catalogue/catalogue.js';
import { Ring } from './ring.js';

/** Lines kept per feed for the screen (the newest win). */
export const FEED_CAPACITY = 500;

export interface FeedState<E> {
  lines: Ring<E>;
  /** Bumped on every append so selectors see a change. */
  seq: number;
  /** Events lost since start (kernel drops and overflow), as reported by the probe's cost(). */
  lost: number;
}

export type Feeds = { [N in FeedName]: FeedState<EventOf<N>> };
export type FrozenFeeds = { [N in FeedName]: readonly EventOf<N>[] };

/** The overview, then one pane per probe of the catalogue. */
export const OVERVIEW = 'overview';
export type PaneId = typeof OVERVIEW | ProbeName;

export interface HostInfo {
  hostname: string;
  kernel: string;
  cpus: readonly number[];
  /** The online CPUs set apart (isolcpus, nohz_full, cgroup partitions), marked in the header. */
  isolated?: readonly number[];
  /** Boot time (ms since the epoch), for the uptime shown in the header. */
  bootTimeMs?: number;
}

/** What the sparklines need of one interval: each probe's trend figures (see ProbeSpec.trend). */
export type TrendPoint = Readonly<Partial<Record<ProbeName, Readonly<Record<string, number | null>>>>>;

/** Intervals kept for the sparklines: wider than any pane. */
export const TREND_POINTS = 240;

/** Where a replay is (set by the replay source through setReplay); null when the screen is live. */
export interface ReplayView {
  /** 1-based index of the interval shown (0 before the first). */
  readonly position: number;
  readonly total: number;
  /** Its recorded time (ISO 8601). */
  readonly time: string | null;
  readonly paused: boolean;
  readonly ended: boolean;
}

/** What the replay keys ask of the replay source (followReplayIntents passes it on); seq makes each one new. */
export type ReplayIntent =
  | { readonly seq: number; readonly kind: 'step'; readonly n: number }
  | { readonly seq: number; readonly kind: 'pause' }
  | { readonly seq: number; readonly kind: 'goto'; readonly text: string };

export interface AppState {
  catalogue: ScreenCatalogue;
  host: HostInfo;
  intervalS: number;
  pinnedCpu: number | null;
  /** The display is frozen; probes keep counting. */
  paused: boolean;
  helpOpen: boolean;
  focus: PaneId;
  /** Per-feed text filter typed with '/'. */
  filters: Readonly<Record<string, string>>;
  /** Is the user typing a filter for the focused feed? */
  filterEditing: boolean;
  showIdle: boolean;
  /** What the user asked for; the manager makes it so and reports health. */
  enabled: Readonly<Record<ProbeName, boolean>>;
  health: Readonly<Record<ProbeName, ProbeHealth>>;
  /** The newest complete interval. */
  latest: Interval | null;
  /** What the screen shows: the newest interval, or the one frozen by pause. */
  shown: Interval | null;
  intervals: number;
  feeds: Feeds;
  /** Frozen feed copies while paused. */
  shownFeeds: FrozenFeeds | null;
  quitRequested: boolean;
  /** Per-interval figures kept for the sparklines (newest last, at most TREND_POINTS). */
  trend: readonly TrendPoint[];
  /** The trend frozen by pause (null when live). */
  shownTrend: readonly TrendPoint[] | null;
  /** A replay's position (null: live). */
  replay: ReplayView | null;
  /** The latest replay key's request, for the replay source. */
  replayIntent: ReplayIntent | null;
  /** The text typed at the replay's go-to prompt (g), or null when it is not open. */
  replayPrompt: string | null;
  /** One line for the status line (a bad go-to time, a recording that stopped), or null. */
  notice: string | null;
  /** The prompt of a probe's own option (+): the probe, the text typed, the last completions; null when closed. */
  argsPrompt: ArgsPrompt | null;
  /** The latest + / - request, for the manager. */
  argsIntent: ArgsIntent | null;
  /** The selected row of each pane that has rows to select (up/down), by pane. */
  cursor: Readonly<Record<string, number>>;
  /** The row opened with Enter (the pane's detail view), or null. */
  detail: { readonly pane: PaneId; readonly row: string } | null;
  /** The samples of the last WINDOW_INTERVALS intervals of the probes that merge them (ProbeSpec.merge), oldest first. */
  recent: readonly { readonly time: string; readonly samples: Readonly<Record<string, unknown>> }[];
  /** Panes that show the window of recent intervals instead of the interval (`w`). */
  windowed: Readonly<Record<string, boolean>>;
  /** Panes switched to their other view (`t`: the profile's tree / paths). */
  altView: Readonly<Record<string, boolean>>;
  /** The settings asked from the screen so far, by probe NUL flag (optionShown reads them). */
  options: Readonly<Record<string, OptionValue>>;
  /** The latest change of a probe's setting asked from the screen, for the manager. */
  optionIntent: OptionIntent | null;
}

export interface OptionIntent {
  readonly seq: number;
  readonly probe: ProbeName;
  readonly flag: string;
  readonly value: OptionValue;
}

export interface ArgsPrompt {
  readonly probe: ProbeName;
  readonly text: string;
  /** What Tab offered last (shown under the prompt), [] before. */
  readonly choices: readonly string[];
}

export interface ArgsIntent {
  readonly seq: number;
  readonly probe: ProbeName;
  readonly edit: ArgsEdit;
}

export interface AppActions {
  commitInterval(iv: Interval): void;
  appendFeed<N extends FeedName>(name: N, events: readonly EventOf<N>[]): void;
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
  setFilter(name: string, text: string): void;
  endFilter(): void;
  toggleIdle(): void;
  requestQuit(): void;
  setReplay(r: ReplayView): void;
  replayStep(n: number): void;
  replayTogglePause(): void;
  openReplayPrompt(): void;
  setReplayPrompt(text: string): void;
  /** Enter at the prompt: ask the source to go there (it answers with setNotice on bad input). */
  submitReplayPrompt(): void;
  closeReplayPrompt(): void;
  setNotice(text: string | null): void;
  /** +: open the prompt of the focused probe's own option (or of the first probe that has one, focused). */
  openArgsPrompt(): void;
  setArgsPrompt(text: string): void;
  /** Tab at the prompt: complete the text as far as the completions agree, and list them. */
  completeArgsPrompt(): void;
  /** Enter: ask for the value typed (the manager answers with setNotice). */
  submitArgsPrompt(): void;
  closeArgsPrompt(): void;
  /** up/down in the focused pane's rows. */
  moveCursor(step: number): void;
  /** -: remove the value of the selected row of the focused pane. */
  removeAtCursor(): void;
  /** Enter: open the selected row of the focused pane (and turn on what its detail needs). */
  openDetail(): void;
  closeDetail(): void;
  /** The option key of the focused probe: its next value in the option's cycle. */
  cycleOption(flag: string): void;
  /** w: the focused pane shows the last WINDOW_INTERVALS intervals merged, or the interval again. */
  toggleWindow(): void;
  /** t: the focused pane's other view (ProbeSpec.altView). */
  toggleAltView(): void;
  /** Forget every interval and event (a replay went back); the settings stay. */
  resetData(): void;
}

export type AppStore = StoreApi<AppState & AppActions>;

export interface StoreInit {
  catalogue: ScreenCatalogue;
  host: HostInfo;
  intervalS: number;
  pinnedCpu: number | null;
  enabled: readonly string[];
  showIdle?: boolean;
  /** The probes' settings from the command line, by probe, then flag. */
  options?: Readonly<Record<string, Readonly<Record<string, OptionValue>>>>;
  /** A replay: its first position (the screen shows `replay` instead of `live`). */
  replay?: ReplayView;
}

/** The panes in focus order: the overview, then the catalogue's probes. */
export function paneOrder(cat: ScreenCatalogue): PaneId[] {
  return [OVERVIEW, ...cat.map((s) => s.name)];
}

export function isFeed(cat: ScreenCatalogue, name: string): name is FeedName {
  return cat.some((s) => s.name === name && s.kind === 'feed');
}

/** Can the pane be filtered with `/` (a feed, or a probe whose spec cuts its sample by text)? */
export function isFilterable(cat: ScreenCatalogue, name: string): boolean {
  return cat.some((s) => s.name === name && (s.kind === 'feed' || s.filterText !== undefined));
}

/** Intervals a pane's window view (`w`) merges. */
export const WINDOW_INTERVALS = 10;

/**
 * The sample a pane shows: the shown interval's, or (`w`) the recent intervals' merged up to the
 * shown one; then cut by the pane's `/` filter. Null when the probe did not run.
 */
export function paneSample(s: AppState, pane: PaneId): unknown {
  const spec = s.catalogue.find((p) => p.name === pane);
  if (!spec || !s.shown) return null;
  let sample: unknown = sampleOf(s.shown, spec.name);
  const merge = spec.merge;
  if (merge && s.windowed[pane]) {
    const upTo = s.shown.time;
    const list = s.recent.filter((r) => r.time <= upTo).map((r) => r.samples[spec.name]).filter((x) => x !== null && x !== undefined);
    if (list.length) sample = fromSpec(() => merge(list), sample);
  }
  const text = s.filters[pane];
  const cut = spec.filterText;
  if (sample !== null && cut && text) sample = fromSpec(() => cut(sample, text), sample);
  return sample;
}

/** The trend point of one interval (pure). A probe that did not report adds nothing. */
export function trendPoint(cat: ScreenCatalogue, iv: Interval): TrendPoint {
  const out: Partial<Record<ProbeName, Readonly<Record<string, number | null>>>> = {};
  for (const spec of cat) {
    const s = sampleOf(iv, spec.name);
    const trend = spec.trend;
    if (trend && s !== null) out[spec.name] = fromSpec(() => trend(s), {});
  }
  return out;
}

/** Next/previous online CPU after `cur` (null = all: next starts from the first). */
export function stepCpu(cpus: readonly number[], cur: number | null, step: 1 | -1): number | null {
  if (cpus.length === 0) return null;
  if (cur === null) return step === 1 ? cpus[0] : cpus[cpus.length - 1];
  const i = cpus.indexOf(cur);
  if (i < 0) return cpus[0];
  return cpus[(i + step + cpus.length) % cpus.length];
}

function byName<T>(cat: ScreenCatalogue, f: (name: ProbeName) => T): Record<ProbeName, T> {
  const out = {} as Record<ProbeName, T>;
  for (const s of cat) out[s.name] = f(s.name);
  return out;
}

function emptyFeeds(cat: ScreenCatalogue): Feeds {
  const out: Record<string, FeedState<unknown>> = {};
  for (const s of cat) if (s.kind === 'feed') out[s.name] = { lines: new Ring(FEED_CAPACITY), seq: 0, lost: 0 };
  return out as Feeds;
}

function frozenFeeds(feeds: Feeds): FrozenFeeds {
  const out: Record<string, readonly unknown[]> = {};
  for (const [n, f] of Object.entries(feeds) as [string, FeedState<unknown>][]) out[n] = f.lines.toArray();
  return out as FrozenFeeds;
}

/** The longest common prefix of some strings ("" for none). */
export function commonPrefix(list: readonly string[]): string {
  if (list.length === 0) return '';
  let p = list[0];
  for (const x of list) while (!x.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** The ids of the rows a pane shows now that can be selected, top to bottom ([] for other panes). */
export function rowValues(s: AppState, pane: PaneId): string[] {
  const spec = s.catalogue.find((p) => p.name === pane);
  if (!spec || !s.shown) return [];
  const sample = paneSample(s, pane);
  if (sample === null) return [];
  const ids = spec.rowIds;
  if (ids) return fromSpec(() => ids(sample, { pinned: s.pinnedCpu, showIdle: s.showIdle }), []);
  const args = spec.args;
  return args ? fromSpec(() => args.rowValues(sample), []) : [];
}

/** Does the focused pane have rows to select? */
export function hasRows(s: AppState): boolean {
  return s.catalogue.some((p) => p.name === s.focus && (p.args || p.rowIds));
}

/** The key of a probe's setting in AppState.options. */
const optionKey = (probe: string, flag: string): string => `${probe}\u0000${flag}`;

/** The setting of a probe as the screen last asked for it (the manager's answer is a notice), or its default. */
export function optionShown(s: AppState, probe: string, flag: string): OptionValue | undefined {
  const o = s.catalogue.find((p) => p.name === probe)?.options?.find((x) => x.flag === flag);
  return s.options[optionKey(probe, flag)] ?? o?.default;
}

/** The selected row of a pane, within its rows now (0 when it has none). */
export function cursorOf(s: AppState, pane: PaneId): number {
  const n = rowValues(s, pane).length;
  return n === 0 ? 0 : Math.min(s.cursor[pane] ?? 0, n - 1);
}

export function createAppStore(init: StoreInit): AppStore {
  const cat = init.catalogue;
  const order = paneOrder(cat);
  return createStore<AppState & AppActions>()((set, get) => ({
    catalogue: cat,
    host: init.host,
    intervalS: init.intervalS,
    pinnedCpu: init.pinnedCpu,
    paused: false,
    helpOpen: false,
    focus: OVERVIEW,
    filters: Object.fromEntries(cat.filter((s) => s.kind === 'feed' || s.filterText).map((s) => [s.name, ''])),
    filterEditing: false,
    showIdle: init.showIdle ?? false,
    enabled: byName(cat, (n) => init.enabled.includes(n)),
    health: byName(cat, (n) => ({ state: init.enabled.includes(n) ? 'starting' : 'off' })),
    latest: null,
    shown: null,
    intervals: 0,
    feeds: emptyFeeds(cat),
    shownFeeds: null,
    quitRequested: false,
    trend: [],
    shownTrend: null,
    replay: init.replay ?? null,
    replayIntent: null,
    replayPrompt: null,
    notice: null,
    argsPrompt: null,
    argsIntent: null,
    cursor: {},
    detail: null,
    optionIntent: null,
    recent: [],
    windowed: {},
    altView: {},
    options: Object.fromEntries(Object.entries(init.options ?? {}).flatMap(([p, o]) => Object.entries(o).map(([f, v]) => [optionKey(p, f), v]))),

    commitInterval: (iv) =>
      set((s) => {
        // Feed losses accumulate from each interval's cost().lost.
        let feeds = s.feeds;
        for (const n of Object.keys(feeds) as FeedName[]) {
          const lost = iv.probes[n]?.cost?.lost ?? 0;
          if (lost > 0) feeds = { ...feeds, [n]: { ...feeds[n], lost: feeds[n].lost + lost } };
        }
        const trend = [...s.trend.slice(-(TREND_POINTS - 1)), trendPoint(cat, iv)];
        const merged = cat.filter((p) => p.merge);
        const recent = merged.length
          ? [...s.recent.slice(-(WINDOW_INTERVALS - 1)), { time: iv.time, samples: Object.fromEntries(merged.map((p) => [p.name, sampleOf(iv, p.name)])) }]
          : s.recent;
        return {
          latest: iv,
          shown: s.paused ? s.shown : iv,
          trend,
          recent,
          intervals: s.intervals + 1,
          health: { ...iv.probes },
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
          : { paused: true, shownTrend: s.trend, shownFeeds: frozenFeeds(s.feeds) },
      ),
    toggleHelp: () => set((s) => ({ helpOpen: !s.helpOpen })),
    focusNext: (step) =>
      set((s) => {
        const i = order.indexOf(s.focus);
        return { focus: order[(i + step + order.length) % order.length], filterEditing: false };
      }),
    setFocus: (p) => set(() => ({ focus: p, filterEditing: false })),
    startFilter: () => set((s) => (isFilterable(cat, s.focus) ? { filterEditing: true } : {})),
    setFilter: (name, text) => set((s) => ({ filters: { ...s.filters, [name]: text } })),
    endFilter: () => set(() => ({ filterEditing: false })),
    toggleIdle: () => set((s) => ({ showIdle: !s.showIdle })),
    requestQuit: () => set(() => ({ quitRequested: true })),
    setReplay: (r) => set(() => ({ replay: r })),
    replayStep: (n) => set((s) => ({ replayIntent: { seq: (s.replayIntent?.seq ?? 0) + 1, kind: 'step', n } })),
    replayTogglePause: () => set((s) => ({ replayIntent: { seq: (s.replayIntent?.seq ?? 0) + 1, kind: 'pause' } })),
    openReplayPrompt: () => set((s) => (s.replay ? { replayPrompt: '', notice: null } : {})),
    setReplayPrompt: (text) => set((s) => (s.replayPrompt === null ? {} : { replayPrompt: text })),
    submitReplayPrompt: () =>
      set((s) =>
        s.replayPrompt === null
          ? {}
          : { replayPrompt: null, replayIntent: { seq: (s.replayIntent?.seq ?? 0) + 1, kind: 'goto', text: s.replayPrompt } },
      ),
    closeReplayPrompt: () => set(() => ({ replayPrompt: null })),
    setNotice: (text) => set(() => ({ notice: text })),
    openArgsPrompt: () =>
      set((s) => {
        const spec = cat.find((p) => p.name === s.focus && p.args) ?? cat.find((p) => p.args);
        if (!spec || s.replay) return {};
        return { argsPrompt: { probe: spec.name, text: '', choices: [] }, focus: spec.name, notice: null, filterEditing: false };
      }),
    setArgsPrompt: (text) => set((s) => (s.argsPrompt ? { argsPrompt: { ...s.argsPrompt, text, choices: [] } } : {})),
    completeArgsPrompt: () =>
      set((s) => {
        const p = s.argsPrompt;
        const args = p && cat.find((x) => x.name === p.probe)?.args;
        if (!p || !args) return {};
        const choices = fromSpec(() => args.complete(p.text), []);
        const prefix = commonPrefix(choices);
        return { argsPrompt: { ...p, text: prefix.length > p.text.length ? prefix : p.text, choices } };
      }),
    submitArgsPrompt: () =>
      set((s) => {
        const p = s.argsPrompt;
        if (!p) return {};
        const text = p.text.trim();
        if (!text) return { argsPrompt: null };
        return { argsPrompt: null, argsIntent: { seq: (s.argsIntent?.seq ?? 0) + 1, probe: p.probe, edit: { add: text } } };
      }),
    closeArgsPrompt: () => set(() => ({ argsPrompt: null })),
    moveCursor: (step) =>
      set((s) => {
        const n = rowValues(s, s.focus).length;
        if (n === 0) return {};
        return { cursor: { ...s.cursor, [s.focus]: Math.max(0, Math.min(n - 1, cursorOf(s, s.focus) + step)) } };
      }),
    removeAtCursor: () =>
      set((s) => {
        const values = rowValues(s, s.focus);
        if (values.length === 0 || s.replay) return {};
        return { argsIntent: { seq: (s.argsIntent?.seq ?? 0) + 1, probe: s.focus as ProbeName, edit: { remove: values[cursorOf(s, s.focus)] } } };
      }),
    openDetail: () =>
      set((s) => {
        const ids = rowValues(s, s.focus);
        const spec = cat.find((p) => p.name === s.focus);
        if (!spec?.rowIds || ids.length === 0) return {};
        const patch: Partial<AppState> = { detail: { pane: s.focus, row: ids[cursorOf(s, s.focus)] } };
        // What the detail shows may need a setting the probe does not run with yet (offcpu's stacks).
        const need = spec.options?.find((o) => o.detail && o.kind === 'boolean');
        if (need && optionShown(s, spec.name, need.flag) !== true && !s.replay) {
          patch.optionIntent = { seq: (s.optionIntent?.seq ?? 0) + 1, probe: spec.name, flag: need.flag, value: true };
          patch.options = { ...s.options, [optionKey(spec.name, need.flag)]: true };
        }
        return patch;
      }),
    closeDetail: () => set(() => ({ detail: null })),
    toggleAltView: () => set((s) => (cat.some((p) => p.name === s.focus && p.altView) ? { altView: { ...s.altView, [s.focus]: !s.altView[s.focus] } } : {})),
    toggleWindow: () =>
      set((s) => (cat.some((p) => p.name === s.focus && p.merge) ? { windowed: { ...s.windowed, [s.focus]: !s.windowed[s.focus] } } : {})),
    cycleOption: (flag) =>
      set((s) => {
        const spec = cat.find((p) => p.name === s.focus);
        const o = spec?.options?.find((x) => x.flag === flag);
        if (!spec || !o?.cycle?.length || s.replay) return {};
        const cur = optionShown(s, spec.name, flag);
        const i = o.cycle.indexOf(cur as number);
        const value = o.cycle[(i + 1) % o.cycle.length];
        return {
          optionIntent: { seq: (s.optionIntent?.seq ?? 0) + 1, probe: spec.name, flag, value },
          options: { ...s.options, [optionKey(spec.name, flag)]: value },
        };
      }),
    resetData: () =>
      set(() => ({ latest: null, shown: null, intervals: 0, feeds: emptyFeeds(cat), shownFeeds: null, trend: [], shownTrend: null, recent: [] })),
  }));
}
