// Pure reads of the store's state, and the pure helpers the slices share: what a pane shows, its
// rows and selected row, a probe's setting as the screen asked for it.
import type { OptionValue } from '../probes/types.js';
import type { FeedName, Interval, ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue, SortKey } from '../views/view.js';
import { fromSpec, sampleOf } from '../catalogue/catalogue.js';
import { OVERVIEW, type AppState, type PaneId, type TrendPoint } from './state.js';

/** The panes in focus order: the overview, then the catalogue's probes. */
export function paneOrder(cat: ScreenCatalogue): PaneId[] {
  return [OVERVIEW, ...cat.map((s) => s.name)];
}

/** The panes shown (not hidden), in focus order. */
export function shownPanes(s: Pick<AppState, 'catalogue' | 'hidden'>): PaneId[] {
  return paneOrder(s.catalogue).filter((p) => !s.hidden.includes(p));
}

export function isFeed(cat: ScreenCatalogue, name: string): name is FeedName {
  return cat.some((s) => s.name === name && s.kind === 'feed');
}

/** Can the pane be filtered with `/` (a feed, or a probe whose spec cuts its sample by text)? */
export function isFilterable(cat: ScreenCatalogue, name: string): boolean {
  return cat.some((s) => s.name === name && (s.kind === 'feed' || s.filterText !== undefined));
}

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
    const list = s.recent
      .filter((r) => r.time <= upTo)
      .map((r) => r.samples[spec.name])
      .filter((x) => x !== null && x !== undefined);
    if (list.length) sample = fromSpec(() => merge(list), sample);
  }
  const text = s.filters[pane];
  const cut = spec.filterText;
  if (sample !== null && cut && text) sample = fromSpec(() => cut(sample, text), sample);
  const sorter = spec.sortSample;
  if (sample !== null && sorter) {
    const key = sortOf(s, pane);
    if (key) sample = fromSpec(() => sorter(sample, key), sample);
  }
  return sample;
}

/** The sort of a pane's table: the one the user picked, else its view's initial one (undefined: no sortable table). */
export function sortOf(s: Pick<AppState, 'catalogue' | 'sort'>, pane: PaneId): SortKey | undefined {
  const spec = s.catalogue.find((p) => p.name === pane);
  if (!spec?.sortColumns?.length) return undefined;
  const picked = s.sort[pane];
  if (picked && spec.sortColumns.includes(picked.column)) return picked;
  return spec.sortInitial ?? { column: spec.sortColumns[0], descending: false };
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
  if (ids) return fromSpec(() => ids(sample, { pinned: s.pinnedCpu, showIdle: s.showIdle, sort: sortOf(s, pane) }), []);
  const args = spec.args;
  return args ? fromSpec(() => args.rowValues(sample), []) : [];
}

/** Does the focused pane have rows to select? */
export function hasRows(s: AppState): boolean {
  return s.catalogue.some((p) => p.name === s.focus && (p.args || p.rowIds));
}

/** The key of a probe's setting in AppState.options. */
export const optionKey = (probe: string, flag: string): string => `${probe}\u0000${flag}`;

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
