// The store's state and actions, slice by slice (src/store/store.ts composes the slices into one
// zustand store):
// - data (data-slice.ts): what the manager or the replay source delivers, written only through
//   the store sink (src/store/store-sink.ts); pause freezes the shown copies;
// - view (view-slice.ts): what the user looks at and types (focus, cursor, detail, filters,
//   prompts, notice, pause, help), which nothing outside the screen needs;
// - control (control-slice.ts): what the user asks of the probes or the replay (toggles, the
//   pinned CPU, a probe's option and settings, the replay keys): each action updates the state
//   and calls the attached control (src/store/control.ts) itself.
// Types only: the slices and the selectors import them, store.ts re-exports them.
import type { StateCreator, StoreApi } from 'zustand/vanilla';
import type { OptionValue, ProbeHealth } from '../probes/types.js';
import type { EventOf, FeedName, Interval, ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue, SortKey } from '../views/view.js';
import type { ProbeControl, ReplayControl } from './control.js';
import type { Ring } from './ring.js';

/** Lines kept per feed for the screen (the newest win). */
export const FEED_CAPACITY = 500;

/** Intervals kept for the sparklines: wider than any pane. */
export const TREND_POINTS = 240;

/** Intervals a pane's window view (`w`) merges. */
export const WINDOW_INTERVALS = 10;

/** The overview, then one pane per probe of the catalogue. */
export const OVERVIEW = 'overview';
export type PaneId = typeof OVERVIEW | ProbeName;

export interface FeedState<E> {
  lines: Ring<E>;
  /** Bumped on every append so selectors see a change. */
  seq: number;
  /** Events lost since start (kernel drops and overflow), as reported by the probe's cost(). */
  lost: number;
}

export type Feeds = { [N in FeedName]: FeedState<EventOf<N>> };
export type FrozenFeeds = { [N in FeedName]: readonly EventOf<N>[] };

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

export interface ArgsPrompt {
  readonly probe: ProbeName;
  readonly text: string;
  /** What Tab offered last (shown under the prompt), [] before. */
  readonly choices: readonly string[];
}

/** What the manager (through the store sink) or the replay source delivers, and what of it is shown. */
export interface DataState {
  catalogue: ScreenCatalogue;
  host: HostInfo;
  intervalS: number;
  health: Readonly<Record<ProbeName, ProbeHealth>>;
  /** The newest complete interval. */
  latest: Interval | null;
  /** What the screen shows: the newest interval, or the one frozen by pause. */
  shown: Interval | null;
  intervals: number;
  feeds: Feeds;
  /** Frozen feed copies while paused. */
  shownFeeds: FrozenFeeds | null;
  /** Per-interval figures kept for the sparklines (newest last, at most TREND_POINTS). */
  trend: readonly TrendPoint[];
  /** The trend frozen by pause (null when live). */
  shownTrend: readonly TrendPoint[] | null;
  /** The samples of the last WINDOW_INTERVALS intervals of the probes that merge them (ProbeSpec.merge), oldest first. */
  recent: readonly { readonly time: string; readonly samples: Readonly<Record<string, unknown>> }[];
}

/** The data slice's writes: the store sink's (src/store/store-sink.ts), and nobody else's. */
export interface DataActions {
  commitInterval(iv: Interval): void;
  appendFeed<N extends FeedName>(name: N, events: readonly EventOf<N>[]): void;
  setHealth(name: ProbeName, h: ProbeHealth): void;
  /** Forget every interval and event (a replay went back); the settings stay. */
  resetData(): void;
}

/** Navigation and prompts: what the user looks at and types. */
export interface ViewState {
  /** The display is frozen; probes keep counting. */
  paused: boolean;
  helpOpen: boolean;
  focus: PaneId;
  /** Per-feed text filter typed with '/'. */
  filters: Readonly<Record<string, string>>;
  /** Is the user typing a filter for the focused feed? */
  filterEditing: boolean;
  showIdle: boolean;
  quitRequested: boolean;
  /** The text typed at the replay's go-to prompt (g), or null when it is not open. */
  replayPrompt: string | null;
  /** One line for the status line (a bad go-to time, a recording that stopped, the manager's answer), or null. */
  notice: string | null;
  /** The prompt of a probe's own option (+): the probe, the text typed, the last completions; null when closed. */
  argsPrompt: ArgsPrompt | null;
  /** The selected row of each pane that has rows to select (up/down), by pane. */
  cursor: Readonly<Record<string, number>>;
  /** The row opened with Enter (the pane's detail view), or null. */
  detail: { readonly pane: PaneId; readonly row: string } | null;
  /** Panes that show the window of recent intervals instead of the interval (`w`). */
  windowed: Readonly<Record<string, boolean>>;
  /** Panes switched to their other view (`t`: the profile's tree / paths). */
  altView: Readonly<Record<string, boolean>>;
  /** Each table's sort as the user picked it (< > F6 I, a click on its header), by pane; sortOf() gives the default. */
  sort: Readonly<Record<string, SortKey>>;
  /** The panes hidden (v, h, a preset), whether or not their probe runs. */
  hidden: readonly PaneId[];
  /** The layout preset last chosen with p (PRESETS), or 'custom' once a pane was hidden or shown by hand. */
  preset: string;
  /** The pane chooser (v): its selected line, or null when closed. */
  paneMenu: number | null;
  /** Feeds scrolled back: the number of events pushed to the feed when the view was anchored (Ring.total); absent: live. */
  scrollBack: Readonly<Record<string, number>>;
  /** Does the screen ask the terminal for mouse reports (off with --no-mouse)? */
  mouse: boolean;
}

/**
 * The layout presets `p` cycles through: "everything" shows every pane; each other shows the
 * panes whose view names it (ViewSpec.presets: latency is off-CPU, run-queue and isolation;
 * feeds every feed; counters the /proc counters).
 */
export const PRESETS: readonly string[] = ['everything', 'latency', 'feeds', 'counters'];

export interface ViewActions {
  togglePause(): void;
  toggleHelp(): void;
  focusNext(step: 1 | -1): void;
  setFocus(p: PaneId): void;
  startFilter(): void;
  setFilter(name: string, text: string): void;
  endFilter(): void;
  toggleIdle(): void;
  requestQuit(): void;
  openReplayPrompt(): void;
  setReplayPrompt(text: string): void;
  closeReplayPrompt(): void;
  setNotice(text: string | null): void;
  /** +: open the prompt of the focused probe's own option (or of the first probe that has one, focused). */
  openArgsPrompt(): void;
  setArgsPrompt(text: string): void;
  /** Tab at the prompt: complete the text as far as the completions agree, and list them. */
  completeArgsPrompt(): void;
  closeArgsPrompt(): void;
  /** up/down in the focused pane's rows. */
  moveCursor(step: number): void;
  closeDetail(): void;
  /** w: the focused pane shows the last WINDOW_INTERVALS intervals merged, or the interval again. */
  toggleWindow(): void;
  /** t: the focused pane's other view (ProbeSpec.altView). */
  toggleAltView(): void;
  /** < > (F6): sort the focused pane's table by the previous / next column. */
  sortStep(step: 1 | -1): void;
  /** I: invert the focused table's sort. */
  sortInvert(): void;
  /** A click on a column header: sort by it (by it already: inverted). */
  sortBy(pane: PaneId, column: string): void;
  /** p: the next layout preset. */
  cyclePreset(step?: 1 | -1): void;
  /** Show or hide a pane (the focus leaves a hidden pane). */
  setShown(pane: PaneId, shown: boolean): void;
  /** v: open / close the pane chooser; its keys move, toggle. */
  togglePaneMenu(): void;
  movePaneMenu(step: number): void;
  toggleAtPaneMenu(): void;
  /** Scroll a feed back (positive) or towards the live edge (negative) by events. */
  scrollFeed(pane: PaneId, events: number): void;
  /** End: the feed back at its live edge. */
  feedLive(pane: PaneId): void;
  /** Apply a saved configuration's screen settings (the config file). */
  applySettings(s: ScreenSettings): void;
}

/** What the configuration file keeps of the screen. */
export interface ScreenSettings {
  readonly preset?: string;
  readonly hidden?: readonly string[];
  readonly sort?: Readonly<Record<string, SortKey>>;
}

/** What the user asked of the probes or of the replay. */
export interface ControlState {
  pinnedCpu: number | null;
  /** What the user asked for; the manager makes it so and reports health. */
  enabled: Readonly<Record<ProbeName, boolean>>;
  /** The settings asked from the screen so far, by probe NUL flag (optionShown reads them). */
  options: Readonly<Record<string, OptionValue>>;
  /** A replay's position, as its source reports it (setReplay); null: live. */
  replay: ReplayView | null;
  /** --cgroup values in force (empty: every cgroup); Enter on a containers row sets it, G clears it. */
  cgroupFilter: readonly string[];
  /** --connect: the remote's stream and whether it is connected (set by the remote source); null: not a remote screen. */
  remote: RemoteView | null;
}

/** A remote screen's connection (perfscope --connect URL). */
export interface RemoteView {
  /** The URL as shown (no credentials in it). */
  readonly url: string;
  readonly connected: boolean;
}

/** Each updates the state, then calls the attached control (none attached: the state only). */
export interface ControlActions {
  /** The manager these actions drive from now on; returns what detaches it. */
  attach(control: ProbeControl): () => void;
  /** The replay source the replay keys drive from now on; returns what detaches it. */
  attachReplay(control: ReplayControl): () => void;
  toggleProbe(name: ProbeName): void;
  setEnabled(name: ProbeName, on: boolean): void;
  pinCpu(cpu: number | null): void;
  pinNext(step: 1 | -1): void;
  /** Enter at the + prompt: the manager adds the value typed (its answer is the notice). */
  submitArgsPrompt(): void;
  /** -: remove the value of the selected row of the focused pane (the manager's answer is the notice). */
  removeAtCursor(): void;
  /** Enter: open the selected row of the focused pane (and turn on what its detail needs). */
  openDetail(): void;
  /** The option key of the focused probe: its next value in the option's cycle. */
  cycleOption(flag: string): void;
  /** --cgroup, live: the manager's probes filter in the kernel to these (empty: every cgroup). */
  setCgroupFilter(specs: readonly string[]): void;
  /** The replay source's position (its onPosition). */
  setReplay(r: ReplayView): void;
  replayStep(n: number): void;
  replayTogglePause(): void;
  /** Enter at the go-to prompt: the source goes there (a bad time is the notice). */
  submitReplayPrompt(): void;
  /** The remote source's connection state (--connect). */
  setRemote(r: RemoteView): void;
}

export type AppState = DataState & ViewState & ControlState;
export type AppActions = DataActions & ViewActions & ControlActions;
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
  /** --cgroup from the command line. */
  cgroups?: readonly string[];
  /** --connect: a remote screen (read-only: the probe keys do not reach the remote). */
  remote?: RemoteView;
  /** Mouse reporting asked for (default true; --no-mouse). */
  mouse?: boolean;
  /** The saved configuration's screen settings. */
  settings?: ScreenSettings;
}

/** One slice of the store (zustand's slice pattern): its state and actions, given the whole store's set and get. */
export type Slice<T> = StateCreator<AppState & AppActions, [], [], T>;
