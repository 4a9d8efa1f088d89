// Sorting a table's rows by one of its columns (the < > F6 I keys): a comparator from a column's
// value, numbers and text alike, descending or not, ties left in their order (Array.sort is stable).
import type { SortKey } from './view.js';

export type SortValue = number | string | null | undefined;

/** Compare two values of a column: numbers by value, text by code point, missing values last. */
export function compareValues(a: SortValue, b: SortValue): number {
  const am = a === null || a === undefined;
  const bm = b === null || b === undefined;
  if (am || bm) return am === bm ? 0 : am ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The rows sorted by `sort` through the column getters (an unknown column: the rows as they are). */
export function sortBy<R>(rows: readonly R[], sort: SortKey, getters: Readonly<Record<string, (r: R) => SortValue>>): R[] {
  const get = getters[sort.column];
  if (!get) return [...rows];
  const dir = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = get(a);
    const vb = get(b);
    // Missing values stay last whichever the direction.
    if (va === null || va === undefined || vb === null || vb === undefined) return compareValues(va, vb);
    return dir * compareValues(va, vb);
  });
}
