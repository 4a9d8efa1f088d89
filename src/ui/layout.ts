// Where each pane goes for a terminal size (pure, tested without rendering):
//   - below MIN_COLUMNS x MIN_ROWS: a one-line message with the size needed;
//   - "tabs" (e.g. 80x24): header, a tab row, the focused pane full size, the status line;
//   - "grid" (GRID_COLUMNS x GRID_ROWS and larger, e.g. 160x48): every pane at once in two columns.
import type { PaneId } from '../store/store.js';

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

export function computeLayout(columns: number, rows: number, focus: PaneId): Layout {
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return { kind: 'too-small', message: `perfscope needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS} (this one is ${columns}x${rows})` };
  }
  if (columns < GRID_COLUMNS || rows < GRID_ROWS) {
    return { kind: 'tabs', width: columns, pane: { pane: focus, width: columns, height: rows - chromeRows('tabs') } };
  }
  const body = rows - chromeRows('grid');
  const left = Math.floor(columns / 2);
  const right = columns - left;
  const lh = splitRows(body, [4, 3, 3]);
  const rh = splitRows(body, [5, 2.5, 2.5]);
  return {
    kind: 'grid',
    columns: [
      [
        { pane: 'offcpu', width: left, height: lh[0] },
        { pane: 'runqlat', width: left, height: lh[1] },
        { pane: 'exec', width: left, height: lh[2] },
      ],
      [
        { pane: 'counters', width: right, height: rh[0] },
        { pane: 'open', width: right, height: rh[1] },
        { pane: 'tcp', width: right, height: rh[2] },
      ],
    ],
  };
}
