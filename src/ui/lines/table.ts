// Plain-text tables that fit a width: columns have a priority, the least important are dropped
// until the rest fits, and the last column takes what is left. Cells go through safe().
import { safe } from '../safe.js';

export interface Column<R> {
  readonly title: string;
  readonly width: number;
  readonly align?: 'left' | 'right';
  /** 0 = always shown; higher numbers are dropped first when the width is short. */
  readonly priority: number;
  /** The last shown column may grow up to this width into the space left. */
  readonly grow?: boolean;
  readonly get: (row: R) => string;
}

/** The columns that fit `width` (one space between columns), in their original order. */
export function fitColumns<R>(cols: readonly Column<R>[], width: number): Column<R>[] {
  let shown = [...cols];
  const total = (cs: readonly Column<R>[]) => cs.reduce((a, c) => a + c.width, 0) + Math.max(0, cs.length - 1);
  while (total(shown) > width) {
    const worst = shown.reduce((m, c) => (c.priority > m.priority ? c : m), shown[0]);
    if (worst.priority === 0) break;
    shown = shown.filter((c) => c !== worst);
  }
  return shown;
}

function cell(text: string, width: number, align: 'left' | 'right' | undefined): string {
  const cps = [...text];
  if (cps.length > width) return width <= 1 ? cps.slice(0, width).join('') : cps.slice(0, width - 1).join('') + '…';
  const pad = ' '.repeat(width - cps.length);
  return align === 'right' ? pad + text : text + pad;
}

export interface TableText {
  readonly header: string;
  readonly rows: string[];
}

/** The sort mark after a column's title: ▼ descending, ▲ ascending. */
export const sortMark = (descending: boolean): string => (descending ? '▼' : '▲');

/** The columns with the sorted one's title marked (its width grown to hold the mark). */
export function markSorted<R>(cols: readonly Column<R>[], sort: { readonly column: string; readonly descending: boolean } | undefined): Column<R>[] {
  return cols.map((c) => {
    if (!sort || c.title !== sort.column) return c;
    const title = c.title + sortMark(sort.descending);
    return { ...c, title, width: Math.max(c.width, title.length) };
  });
}

/** `+N more`: the last row of a table cut short. */
export const moreText = (n: number): string => `+${n} more`;

/** Header and rows as fixed-width text lines (no trailing spaces). */
export function renderTable<R>(cols: readonly Column<R>[], rows: readonly R[], width: number): TableText {
  const shown = fitColumns(cols, width);
  const used = shown.reduce((a, c) => a + c.width, 0) + Math.max(0, shown.length - 1);
  const widths = shown.map((c) => c.width);
  const growIdx = shown.findIndex((c) => c.grow);
  if (growIdx >= 0 && used < width) widths[growIdx] += width - used;
  const line = (cells: string[]) =>
    cells
      .map((t, i) => cell(safe(t), widths[i], shown[i].align))
      .join(' ')
      .replace(/\s+$/, '');
  return {
    header: line(shown.map((c) => c.title)),
    rows: rows.map((r) => line(shown.map((c) => c.get(r)))),
  };
}
