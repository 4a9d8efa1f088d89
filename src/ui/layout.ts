// Where each pane goes for a terminal size (pure, tested without rendering):
//   - below MIN_COLUMNS x MIN_ROWS: a one-line message with the size needed;
//   - "tabs" (e.g. 80x24): header, a tab row, the focused pane full size, the status line;
//   - "grid" (GRID_COLUMNS x GRID_ROWS and larger, e.g. 160x48): every pane at once in two columns,
//     each probe in the column its spec names, sized by its weight; the overview on top of the
//     right column, one line per probe (two when the screen is tall).
import type { ScreenCatalogue } from '../views/view.js';
import { OVERVIEW, type PaneId } from '../store/store.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;
export const GRID_COLUMNS = 120;
export const GRID_ROWS = 36;

export interface Rect {
  readonly pane: PaneId;
  readonly width: number;
  readonly height: number;
}

export type Layout =
  | { readonly kind: 'too-small'; readonly message: string }
  | { readonly kind: 'tabs'; readonly width: number; readonly pane: Rect }
  | { readonly kind: 'grid'; readonly columns: readonly (readonly Rect[])[] };

/** Split `total` rows between panes by weight; every pane gets at least `min`, the sum is exact. */
export function splitRows(total: number, weights: readonly number[], min = 5): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const out = weights.map((w) => Math.max(min, Math.floor((total * w) / sum)));
  let diff = total - out.reduce((a, b) => a + b, 0);
  // Give or take the remainder from the largest panes first.
  for (let i = 0; diff !== 0 && i < 1000; i++) {
    const k = i % out.length;
    if (diff > 0) {
      out[k]++;
      diff--;
    } else if (out[k] > min) {
      out[k]--;
      diff++;
    }
  }
  return out;
}

/** Rows taken by the header, the status line and (tabs only) the tab row. */
export function chromeRows(kind: 'tabs' | 'grid'): number {
  return kind === 'tabs' ? 3 : 2;
}

/** Rows of the overview in the grid: a heading per probe, and a line each when tall enough. */
export function overviewRows(probes: number, body: number): number {
  const tall = 2 * probes + 3;
  return body >= 4 * tall ? tall : probes + 3;
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

export function computeLayout(columns: number, rows: number, focus: PaneId, cat: ScreenCatalogue): Layout {
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return { kind: 'too-small', message: tooSmall(columns, rows) };
  }
  if (columns < GRID_COLUMNS || rows < GRID_ROWS) {
    return { kind: 'tabs', width: columns, pane: { pane: focus, width: columns, height: rows - chromeRows('tabs') } };
  }
  const body = rows - chromeRows('grid');
  const widths = [Math.floor(columns / 2), columns - Math.floor(columns / 2)];
  const ov = overviewRows(cat.length, body);
  const columnsOut = [0, 1].map((col) => {
    const specs = cat.filter((s) => s.grid.column === col).sort((a, b) => a.grid.row - b.grid.row);
    const top: Rect[] = col === 1 ? [{ pane: OVERVIEW, width: widths[col], height: ov }] : [];
    const left = body - (col === 1 ? ov : 0);
    const hs = specs.length
      ? splitRows(
          left,
          specs.map((s) => s.grid.weight),
        )
      : [];
    return [...top, ...specs.map((s, i) => ({ pane: s.name, width: widths[col], height: hs[i] }))];
  });
  return { kind: 'grid', columns: columnsOut };
}
