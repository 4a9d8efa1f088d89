// What a probe is to the screen: its view (below's model/render seam: the data spec says what a
// sample is, the view how it is shown). A ViewSpec gives the pane's title, the tab and toggle key,
// the pane's place in the grid, the overview's and the status line's words, the trend figures,
// and what the pane's navigation needs (row ids, the text filter, the windowed merge). Pure
// functions of a sample; no React here (the panes are in src/ui/, attached by the UI). The
// store calls the navigation half, which is why views rank below the store.
import type { AnyEntry, Catalogue } from '../catalogue/catalogue.js';

/** A table's sort: the column (its header title) and the direction. */
export interface SortKey {
  readonly column: string;
  readonly descending: boolean;
}

/** What the overview pane and the status line tell a probe about the screen. */
export interface ViewContext {
  readonly pinned: number | null;
  readonly intervalS: number;
  /** Columns available for one line. */
  readonly width: number;
}

export interface HeaderFacts {
  readonly load?: readonly [number, number, number];
}

/** A probe's view; S is the sample of one interval (its data spec's). */
export interface ViewSpec<S = unknown> {
  /** Pane title, e.g. "Off-CPU maxima". */
  readonly title: string;
  /** Label in the tab row. */
  readonly tab: string;
  /** Key that switches it on and off ("1"), or null when it cannot be switched. */
  readonly key: string | null;
  /** Where the large layout puts its pane: column, place in it (top first), share of its height. */
  readonly grid: { readonly column: 0 | 1; readonly row: number; readonly weight: number };
  /** The figures the screen keeps per interval for its trends (series name -> value). */
  trend?(sample: S): Readonly<Record<string, number | null>>;
  /** A few words for the compact overview, one line per probe ("p99 1.7ms"). */
  summary(sample: S, view: ViewContext): string;
  /** One or two lines for the overview pane. */
  overview(sample: S, view: ViewContext): string[];
  /** Facts for the header line, if it has any (the load averages). */
  header?(sample: S): HeaderFacts;
  /**
   * The rows of its pane a user can select (up/down) and open (Enter: the pane's detail view of
   * that row, Esc back), as ids, top to bottom; a probe with ProbeSpec.args selects its values.
   */
  rowIds?(sample: S, view: { readonly pinned: number | null; readonly showIdle: boolean; readonly sort?: SortKey }): string[];
  /** The layout presets (`p`) that show its pane besides "everything" (PRESETS in src/store/state.ts). */
  readonly presets?: readonly string[];
  /** The columns its table sorts by (< > F6 choose, I inverts), header titles; `sortInitial` the sort before the user picks one. */
  readonly sortColumns?: readonly string[];
  readonly sortInitial?: SortKey;
  /** Its sample with the table's rows in the order asked (the rows a user selects follow it). */
  sortSample?(sample: S, sort: SortKey): S;
  /** Its sample cut to the rows that match a text typed with `/` (the pane's filter), for panes that are not feeds. */
  filterText?(sample: S, text: string): S;
  /** What its pane's other view is, for the help ("a tree"): `t` switches to it and back. */
  readonly altView?: string;
  /**
   * A pane whose rows are cgroups: the --cgroup value of a row (its path), which Enter sets
   * instead of opening a detail view (Enter again, or G, lets every cgroup through).
   */
  cgroupOfRow?(sample: S | null, rowId: string): string | null;
  /** Samples of consecutive intervals as one (the pane's `w` view: the last WINDOW_INTERVALS intervals). */
  merge?(samples: readonly S[]): S;
}

/**
 * A probe as the screen takes it: its catalogue entry (data) and its view, side by side. Generic
 * code sees the view through its common shape, as it sees the data (AnyEntry): a view's functions
 * are only ever called with the sample its own probe produced.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one place where generic code meets each probe's own sample type
export type ScreenEntry = AnyEntry & ViewSpec<any>;
export type ScreenCatalogue = readonly ScreenEntry[];

/** Views by probe name (src/views/views.ts has the default one; a test may add its own). */
// biome-ignore lint/suspicious/noExplicitAny: the one place where generic code meets each probe's own sample type
export type ViewTable = Readonly<Record<string, ViewSpec<any>>>;

/** The view of a probe that has none in the table: its name, and no words (it still runs and is exported). */
function plainView(name: string): ViewSpec {
  return { title: name, tab: name, key: null, grid: { column: 1, row: Number.MAX_SAFE_INTEGER, weight: 1 }, summary: () => '', overview: () => [] };
}

/** Each probe of a catalogue with its view, in catalogue order. */
export function withViews(cat: Catalogue, views: ViewTable): ScreenCatalogue {
  return cat.map((spec) => ({ ...(views[spec.name] ?? plainView(spec.name)), ...spec }));
}
