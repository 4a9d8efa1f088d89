// Where each pane goes for a terminal size (pure, tested without rendering, property-tested in
// test/ui/layout.test.ts):
//   - below MIN_COLUMNS x MIN_ROWS: a one-line message with the size needed;
//   - "tabs" (e.g. 80x24): header, a tab row, the focused pane full size, the status line;
//   - "grid" (GRID_COLUMNS x GRID_ROWS and larger, e.g. 160x48): every shown pane at once in two
//     columns (one, full width, when the other holds no shown pane), each pane in the column its
//     spec names. Each pane states what it needs (PaneNeed: its want, in rows, and whether it
//     grows past it); every pane gets its minimum (PANE_MIN_ROWS: border, title, one line,
//     border), then the rows left go to the panes below their want (by weight), then to the
//     panes that grow (tables, feeds: by weight), so a pane that holds only a message keeps
//     title and message. The heights of a column add up exactly to the body. When even the
//     minimums do not fit, the panes that do not fit fold into one line that names them (the
//     focused pane is never folded; Tab reaches the folded ones).
import type { PaneId } from '../store/store.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;
export const GRID_COLUMNS = 120;
export const GRID_ROWS = 36;
/** The smallest pane: top border, title, one line, bottom border. */
export const PANE_MIN_ROWS = 4;
/** Rows of a pane's frame around its body (top border, title, bottom border). */
export const FRAME_ROWS = 3;

export interface Rect {
  readonly pane: PaneId;
  readonly width: number;
  readonly height: number;
}

/** The one line that names the panes a column had no room for. */
export interface Fold {
  readonly fold: readonly PaneId[];
  readonly width: number;
  readonly height: 1;
}

export type Cell = Rect | Fold;

export const isFold = (c: Cell): c is Fold => 'fold' in c;

export type Layout =
  | { readonly kind: 'too-small'; readonly message: string }
  /** The focused pane first; when it holds less than the body (a message, a short list) the panes after it in focus order take the rows left (`below`). */
  | { readonly kind: 'tabs'; readonly width: number; readonly pane: Rect; readonly below: readonly Rect[] }
  | { readonly kind: 'grid'; readonly columns: readonly (readonly Cell[])[] };

/** What a shown pane needs of the grid. */
export interface PaneNeed {
  readonly pane: PaneId;
  readonly column: 0 | 1;
  /** Order in its column (top first). */
  readonly row: number;
  /** Share of the rows past the wants. */
  readonly weight: number;
  /** Rows its content wants, frame included (at least PANE_MIN_ROWS). */
  readonly want: number;
  /** Does it use rows past its want (a table or a feed that may get more), or hold a fixed content (a message)? */
  readonly grows: boolean;
}

/** A pane that wants `body` lines of content (its frame added). */
export const wantOf = (body: number): number => Math.max(PANE_MIN_ROWS, FRAME_ROWS + Math.max(1, Math.ceil(body)));

/** Give `rows` rows one at a time to the candidates, each to the one with the least height per weight (ties: the first). */
function share(heights: number[], weights: readonly number[], rows: number, can: (i: number) => boolean): number {
  let left = rows;
  while (left > 0) {
    let best = -1;
    let bestScore = Infinity;
    for (let i = 0; i < heights.length; i++) {
      if (!can(i)) continue;
      const score = (heights[i] + 1) / Math.max(1e-6, weights[i]);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) break;
    heights[best]++;
    left--;
  }
  return left;
}

export interface ColumnSplit {
  /** Heights of the kept panes, in the order given. */
  readonly heights: readonly number[];
  /** Indexes of the panes kept (shown), in order. */
  readonly kept: readonly number[];
  /** Indexes of the panes folded into the one line (none: no fold line). */
  readonly folded: readonly number[];
}

/**
 * Split `total` rows between panes: every kept pane gets PANE_MIN_ROWS, then their wants (by
 * weight), then the panes that grow (by weight; when none grows, all of them). The kept heights,
 * plus one row when some are folded, add up to `total` exactly (when total >= 1). Panes that do
 * not fit are folded, the last ones first, never `keep` (the focused pane).
 */
export function splitRows(total: number, needs: readonly Pick<PaneNeed, 'weight' | 'want' | 'grows'>[], keep = -1): ColumnSplit {
  const n = needs.length;
  if (n === 0 || total <= 0) return { heights: [], kept: [], folded: n ? needs.map((_, i) => i) : [] };
  let kept = needs.map((_, i) => i);
  let folded: number[] = [];
  if (n * PANE_MIN_ROWS > total) {
    // The fold line takes one row; keep the focused pane, then the others in order, while their minimums fit.
    const room = total - 1;
    const order = keep >= 0 && keep < n ? [keep, ...kept.filter((i) => i !== keep)] : kept;
    const take = new Set(order.slice(0, Math.max(0, Math.floor(room / PANE_MIN_ROWS))));
    kept = kept.filter((i) => take.has(i));
    folded = needs.map((_, i) => i).filter((i) => !take.has(i));
  }
  const room = total - (folded.length ? 1 : 0);
  if (kept.length === 0) return { heights: [], kept, folded };
  const ws = kept.map((i) => needs[i].weight);
  const wants = kept.map((i) => Math.max(PANE_MIN_ROWS, needs[i].want));
  const heights = kept.map(() => PANE_MIN_ROWS);
  let left = room - heights.length * PANE_MIN_ROWS;
  left = share(heights, ws, left, (k) => heights[k] < wants[k]);
  const growing = kept.some((i) => needs[i].grows);
  left = share(heights, ws, left, (k) => !growing || needs[kept[k]].grows);
  return { heights, kept, folded };
}

/** Rows taken by the header, the status line and (tabs only) the tab row. */
export function chromeRows(kind: 'tabs' | 'grid'): number {
  return kind === 'tabs' ? 3 : 2;
}

/** The one line a terminal too small for the screen gets: the longest form that fits its width. */
export function tooSmall(columns: number, rows: number): string {
  const forms = [
    `perfscope needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS} (this one is ${columns}x${rows})`,
    `perfscope needs ${MIN_COLUMNS}x${MIN_ROWS} (this is ${columns}x${rows})`,
    `needs ${MIN_COLUMNS}x${MIN_ROWS}, is ${columns}x${rows}`,
    `needs ${MIN_COLUMNS}x${MIN_ROWS}`,
  ];
  return forms.find((f) => f.length <= columns) ?? forms[forms.length - 1];
}

/** Is the terminal large enough for the grid? */
export const isGrid = (columns: number, rows: number): boolean => columns >= GRID_COLUMNS && rows >= GRID_ROWS;

/** The widths of the grid's two columns (one of them 0 when it holds no pane). */
export function columnWidths(columns: number, needs: readonly PaneNeed[]): [number, number] {
  const used = [0, 1].map((c) => needs.some((n) => n.column === c));
  if (!used[0]) return [0, columns];
  if (!used[1]) return [columns, 0];
  const left = Math.floor(columns / 2);
  return [left, columns - left];
}

/**
 * The layout of the shown panes (`needs`, in no particular order) for a terminal size, `focus`
 * the focused pane (the tabs layout shows it; the grid never folds it).
 */
export function computeLayout(columns: number, rows: number, focus: PaneId, needs: readonly PaneNeed[]): Layout {
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return { kind: 'too-small', message: tooSmall(columns, rows) };
  }
  if (!isGrid(columns, rows)) return tabsLayout(columns, rows - chromeRows('tabs'), focus, needs);
  const body = rows - chromeRows('grid');
  const widths = columnWidths(columns, needs);
  const out: Cell[][] = [];
  for (const col of [0, 1] as const) {
    if (widths[col] === 0) continue;
    const mine = needs.filter((n) => n.column === col).sort((a, b) => a.row - b.row);
    const split = splitRows(
      body,
      mine,
      mine.findIndex((n) => n.pane === focus),
    );
    const cells: Cell[] = split.kept.map((i, k) => ({ pane: mine[i].pane, width: widths[col], height: split.heights[k] }));
    if (split.folded.length) cells.push({ fold: split.folded.map((i) => mine[i].pane), width: widths[col], height: 1 });
    out.push(cells);
  }
  return { kind: 'grid', columns: out };
}

/**
 * The small layout: the focused pane the full body, unless it does not grow and wants fewer rows
 * than the body (by at least a pane's minimum): then the panes after it (focus order, as given,
 * wrapping) take the rows left, each its want, the last one the rest. Rows add up exactly.
 */
export function tabsLayout(width: number, body: number, focus: PaneId, needs: readonly PaneNeed[]): Layout {
  const at = needs.findIndex((n) => n.pane === focus);
  const f = at >= 0 ? needs[at] : null;
  const full: Layout = { kind: 'tabs', width, pane: { pane: focus, width, height: body }, below: [] };
  if (!f || f.grows) return full;
  const first = Math.max(PANE_MIN_ROWS, f.want);
  if (body - first < PANE_MIN_ROWS) return full;
  const heights = [first];
  const panes: PaneId[] = [focus];
  let left = body - first;
  for (let k = 1; k < needs.length && left >= PANE_MIN_ROWS; k++) {
    const n = needs[(at + k) % needs.length];
    let h = Math.min(left, n.grows ? left : Math.max(PANE_MIN_ROWS, n.want));
    if (left - h < PANE_MIN_ROWS) h = left;
    heights.push(h);
    panes.push(n.pane);
    left -= h;
  }
  heights[heights.length - 1] += left;
  const rects = panes.map((p, i) => ({ pane: p, width, height: heights[i] }));
  return { kind: 'tabs', width, pane: rects[0], below: rects.slice(1) };
}

/** The pane at a cell of the screen (0-based column x, row y of the body), for the mouse; null for none. */
export function cellAt(layout: Layout, x: number, y: number): { readonly cell: Cell; readonly x: number; readonly y: number } | null {
  if (layout.kind === 'too-small') return null;
  if (layout.kind === 'tabs') {
    let top = 0;
    for (const r of [layout.pane, ...layout.below]) {
      if (x >= 0 && x < r.width && y >= top && y < top + r.height) return { cell: r, x, y: y - top };
      top += r.height;
    }
    return null;
  }
  let left = 0;
  for (const col of layout.columns) {
    const w = col[0]?.width ?? 0;
    if (x >= left && x < left + w) {
      let top = 0;
      for (const c of col) {
        if (y >= top && y < top + c.height) return { cell: c, x: x - left, y: y - top };
        top += c.height;
      }
      return null;
    }
    left += w;
  }
  return null;
}
