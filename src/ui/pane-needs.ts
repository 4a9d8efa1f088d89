// What each shown pane asks of the grid (layout.ts PaneNeed): the lines of content it has now
// and whether it uses more. A pane whose probe is not running, or that has nothing yet, holds one
// message line and does not grow. A feed wants its events; a probe's pane states its own want in
// panes.tsx (PANE_WANTS, beside its loader: the mechanism a new pane uses); a probe without one
// wants its overview lines.
import type { ProbeHealth } from '../probes/types.js';
import { fromSpec, sampleOf } from '../catalogue/catalogue.js';
import { isFeed, OVERVIEW, shownPanes, type AppState, type PaneId } from '../store/store.js';
import { columnWidths, computeLayout, isGrid, PANE_MIN_ROWS, wantOf, type PaneNeed } from './layout.js';
import { overviewLines } from './lines/overview.js';
import { PANE_WANTS } from './panes.js';
import type { PaneWant, WantFn } from './pane.js';

export type { PaneWant, WantFn } from './pane.js';

const TALL = 500;
const OFF: ProbeHealth = { state: 'off' };

/** Events a feed has to show (filtered events are not counted: the filter line says how many match). */
function feedWant(s: AppState, name: string): PaneWant {
  const feed = (s.feeds as Record<string, { lines: { size: number } }>)[name];
  const filterLine = s.filters[name] || (s.filterEditing && s.focus === name) ? 1 : 0;
  return { body: 1 + filterLine + Math.max(1, feed?.lines.size ?? 0), grows: true };
}

/** The want of a probe without its own: its overview lines. */
const plainWant: WantFn = (s, width, spec) => {
  const sample = s.shown ? sampleOf(s.shown, spec.name) : null;
  const lines = sample === null ? 1 : fromSpec(() => spec.overview(sample, { pinned: s.pinnedCpu, intervalS: s.intervalS, width }), []).length;
  return { body: Math.max(1, lines), grows: false };
};

/** One pane's want: a message (one line) when its probe is not running or has no sample yet. */
export function paneWant(s: AppState, pane: PaneId, width: number): PaneWant {
  if (pane === OVERVIEW) {
    const lines = overviewLines(s.catalogue, s.shown, s.health, { pinned: s.pinnedCpu, intervalS: s.intervalS, width }, TALL);
    return { body: lines.length, grows: false };
  }
  const spec = s.catalogue.find((p) => p.name === pane);
  if (!spec) return { body: 1, grows: false };
  const h = (s.health as Readonly<Record<string, ProbeHealth>>)[spec.name] ?? OFF;
  // A tracepoint pane says how to add one even when off; every other pane not running: its message.
  if (h.state !== 'running' || !s.shown || sampleOf(s.shown, spec.name) === null) return { body: 1, grows: false };
  if (spec.kind === 'feed') return feedWant(s, spec.name);
  const fn = (PANE_WANTS as Readonly<Record<string, WantFn>>)[spec.name] ?? plainWant;
  return fromSpec(() => fn(s, width, spec), { body: 1, grows: false });
}

/** What every shown pane asks of a grid `columns` wide (the overview on top of the right column). */
export function paneNeeds(s: AppState, columns: number, rows: number): PaneNeed[] {
  const shown = shownPanes(s);
  const base = shown.map((pane): Omit<PaneNeed, 'want' | 'grows'> => {
    if (pane === OVERVIEW) return { pane, column: 1, row: -1, weight: 2 };
    const spec = s.catalogue.find((p) => p.name === pane)!;
    return { pane, column: spec.grid.column, row: spec.grid.row, weight: spec.grid.weight };
  });
  // The grid's column widths; the small layout's panes are all the terminal's width.
  const widths = isGrid(columns, rows)
    ? columnWidths(
        columns,
        base.map((b) => ({ ...b, want: 0, grows: true })),
      )
    : [columns, columns];
  return base.map((b) => {
    const w = paneWant(s, b.pane, Math.max(10, widths[b.column] - 2));
    return { ...b, want: wantOf(w.body), grows: w.grows };
  });
}

/**
 * A store selector giving the layout for a terminal size (as JSON text, a stable value for the
 * store: the screen draws again only when the layout changed). The wants of the panes that are
 * not feeds are computed again only when what they read changed (the shown interval, health,
 * the view's settings), a feed's when its size changed: a flush of events costs a layout of
 * numbers, not a pass over every pane's lines.
 */
export function layoutSelector(columns: number, rows: number): (s: AppState) => string {
  let lastStatic: readonly unknown[] = [];
  let needs: PaneNeed[] = [];
  let lastSizes = '';
  let lastFocus: PaneId | null = null;
  let key = '';
  const steady = steadyWants();
  return (s) => {
    const feeds = s.feeds as Record<string, { lines: { size: number } }>;
    const inputs = [s.shown, s.health, s.pinnedCpu, s.showIdle, s.hidden, s.sort, s.filters, s.filterEditing, s.argsPrompt, s.windowed, s.catalogue];
    const sizes = Object.keys(feeds)
      .map((k) => feeds[k].lines.size)
      .join(',');
    const same = inputs.length === lastStatic.length && inputs.every((v, i) => v === lastStatic[i]);
    if (same && sizes === lastSizes && s.focus === lastFocus) return key;
    if (!same || sizes !== lastSizes) {
      if (same) {
        // Only feeds changed: their wants again, the others kept.
        needs = needs.map((n) => (isFeed(s.catalogue, n.pane) ? { ...n, want: wantOf(paneWant(s, n.pane, wantWidth(n, columns, rows, needs)).body) } : n));
      } else needs = paneNeeds(s, columns, rows);
    }
    lastStatic = inputs;
    lastSizes = sizes;
    lastFocus = s.focus;
    key = JSON.stringify(computeLayout(columns, rows, s.focus, steady(needs)));
    return key;
  };
}

/** Times in a row a pane must want fewer rows before it gets fewer (a table that is one row shorter for an interval does not move every pane below it). */
export const SHRINK_AFTER = 5;

/**
 * Wants that grow at once and shrink only after SHRINK_AFTER layouts in a row asked for less
 * (per pane, kept across calls): the panes do not jump up and down from one interval to the next.
 */
function steadyWants(): (needs: readonly PaneNeed[]) => PaneNeed[] {
  const held = new Map<string, { want: number; lower: number }>();
  return (needs) =>
    needs.map((n) => {
      const h = held.get(n.pane);
      // A pane down to its message (its probe switched off, failed) shrinks at once.
      if (!h || n.want >= h.want || n.want <= PANE_MIN_ROWS) {
        held.set(n.pane, { want: n.want, lower: 0 });
        return n;
      }
      if (++h.lower >= SHRINK_AFTER) {
        held.set(n.pane, { want: n.want, lower: 0 });
        return n;
      }
      return { ...n, want: h.want };
    });
}

/** The inside width a pane's want is computed for. */
function wantWidth(n: PaneNeed, columns: number, rows: number, all: readonly PaneNeed[]): number {
  const widths = isGrid(columns, rows) ? columnWidths(columns, all) : [columns, columns];
  return Math.max(10, widths[n.column] - 2);
}
