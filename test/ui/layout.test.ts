// Property tests of the layout (fast-check): over terminal sizes from 60x16 to 300x100 and any set
// of shown panes (today's, and sets of up to 14 with any wants), the rows add up exactly to the
// terminal, no shown pane is below its minimum, nothing overlaps, the focused pane is shown.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cellAt, chromeRows, computeLayout, isFold, PANE_MIN_ROWS, splitRows, MIN_COLUMNS, MIN_ROWS, type Cell, type PaneNeed } from '../../src/ui/layout.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import type { PaneId } from '../../src/store/store.js';

const TODAY: PaneNeed[] = [
  { pane: 'overview', column: 1, row: -1, weight: 2, want: 4, grows: false },
  ...SCREEN_CATALOGUE.map((s) => ({ pane: s.name, column: s.grid.column, row: s.grid.row, weight: s.grid.weight, want: 4, grows: true })),
];

/** A set of 1..14 panes, each with a column, a place, a weight, a want and whether it grows. */
const needsArb = fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { minLength: 1, maxLength: 14 }).chain((ids) =>
  fc.tuple(
    ...ids.map((id) =>
      fc.record({
        pane: fc.constant(`pane${id}` as PaneId),
        column: fc.constantFrom(0 as const, 1 as const),
        row: fc.integer({ min: 0, max: 20 }),
        weight: fc.double({ min: 0.5, max: 8, noNaN: true }),
        want: fc.integer({ min: 0, max: 120 }),
        grows: fc.boolean(),
      }),
    ),
  ),
);

/** Today's panes with any wants, any of them hidden (at least one shown). */
const todayArb = fc
  .tuple(
    fc.array(fc.boolean(), { minLength: TODAY.length, maxLength: TODAY.length }),
    fc.array(fc.integer({ min: 0, max: 80 }), { minLength: TODAY.length, maxLength: TODAY.length }),
    fc.array(fc.boolean(), { minLength: TODAY.length, maxLength: TODAY.length }),
  )
  .map(([shown, wants, grows]) => TODAY.map((n, i) => ({ ...n, want: wants[i], grows: grows[i] })).filter((_, i) => shown[i] || i === 0));

const sizeArb = fc.tuple(fc.integer({ min: MIN_COLUMNS, max: 300 }), fc.integer({ min: MIN_ROWS, max: 100 }));

function check(columns: number, rows: number, needs: readonly PaneNeed[], focusIdx: number): void {
  const focus = needs[focusIdx % needs.length].pane;
  const l = computeLayout(columns, rows, focus, needs);
  expect(l.kind).not.toBe('too-small');
  if (l.kind === 'tabs') {
    const all = [l.pane, ...l.below];
    expect(chromeRows('tabs') + all.reduce((a, r) => a + r.height, 0)).toBe(rows);
    for (const r of all) {
      expect(r.width).toBe(columns);
      expect(r.height).toBeGreaterThanOrEqual(PANE_MIN_ROWS);
    }
    expect(new Set(all.map((r) => r.pane)).size).toBe(all.length);
    expect(l.pane.pane).toBe(focus);
    // The focused pane has at least its want (or the whole body).
    const f = needs.find((n) => n.pane === focus)!;
    expect(l.pane.height).toBeGreaterThanOrEqual(Math.min(rows - chromeRows('tabs'), Math.max(PANE_MIN_ROWS, f.want)));
    return;
  }
  if (l.kind !== 'grid') return;
  const body = rows - chromeRows('grid');
  // Columns side by side add up to the width, each column's cells to the body.
  expect(l.columns.reduce((a, c) => a + (c[0]?.width ?? 0), 0)).toBe(columns);
  const seen = new Set<PaneId>();
  const boxes: { x: number; y: number; w: number; h: number }[] = [];
  let x = 0;
  for (const col of l.columns) {
    expect(col.reduce((a, c: Cell) => a + c.height, 0)).toBe(body);
    let y = 0;
    for (const c of col) {
      expect(c.width).toBe(col[0].width);
      if (isFold(c)) {
        expect(c.height).toBe(1);
        expect(c.fold.length).toBeGreaterThan(0);
        for (const p of c.fold) seen.add(p);
      } else {
        expect(c.height).toBeGreaterThanOrEqual(PANE_MIN_ROWS);
        expect(seen.has(c.pane)).toBe(false);
        seen.add(c.pane);
      }
      boxes.push({ x, y, w: c.width, h: c.height });
      y += c.height;
    }
    x += col[0]?.width ?? 0;
  }
  // Every pane is either shown or named in a fold line; the focused one is shown.
  expect([...seen].sort()).toEqual(needs.map((n) => n.pane).sort());
  const shown = l.columns.flat().filter((c) => !isFold(c));
  expect(shown.some((c) => !isFold(c) && c.pane === focus)).toBe(true);
  // Nothing overlaps: no two rectangles share a cell.
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      expect(overlap).toBe(false);
    }
  // The mouse finds each shown pane at its place.
  for (let k = 0; k < boxes.length; k++) {
    const hit = cellAt(l, boxes[k].x, boxes[k].y);
    expect(hit?.x).toBe(0);
    expect(hit?.y).toBe(0);
  }
}

describe('layout properties', () => {
  it('today’s panes, any of them shown, any wants: rows exact, minimums kept, no overlap', () => {
    fc.assert(
      fc.property(sizeArb, todayArb, fc.nat(), ([c, r], needs, f) => check(c, r, needs, f)),
      { numRuns: 400 },
    );
  });
  it('any 1..14 panes: rows exact, minimums kept, no overlap, the focused pane never folded', () => {
    fc.assert(
      fc.property(sizeArb, needsArb, fc.nat(), ([c, r], needs, f) => check(c, r, needs, f)),
      { numRuns: 400 },
    );
  });
  it('sets of 14 panes at the grid’s smallest size fold what does not fit into one line', () => {
    const needs: PaneNeed[] = Array.from({ length: 14 }, (_, i) => ({
      pane: `p${i}` as PaneId,
      column: (i % 2) as 0 | 1,
      row: i,
      weight: 1,
      want: 10,
      grows: true,
    }));
    const l = computeLayout(120, 36, 'p13' as PaneId, needs);
    if (l.kind !== 'grid') throw new Error(l.kind);
    // 34 body rows hold 8 panes of 4 and a fold line (33): 7 panes a column fit; here both do.
    for (const col of l.columns) expect(col.reduce((a, c) => a + c.height, 0)).toBe(34);
    const tall = computeLayout(120, 36, 'p13' as PaneId, [...needs, ...needs.map((n) => ({ ...n, pane: `q${n.pane}` as PaneId }))]);
    if (tall.kind !== 'grid') throw new Error(tall.kind);
    const folds = tall.columns.flatMap((c) => c.filter(isFold));
    expect(folds.length).toBeGreaterThan(0);
    expect(tall.columns.flat().some((c) => !isFold(c) && c.pane === ('p13' as PaneId))).toBe(true);
  });
  it('splitRows: exact for any total and any panes; a pane that does not grow gets no more than its want unless none grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 200 }),
        fc.array(fc.record({ weight: fc.double({ min: 0.5, max: 8, noNaN: true }), want: fc.integer({ min: 0, max: 80 }), grows: fc.boolean() }), {
          minLength: 1,
          maxLength: 14,
        }),
        fc.nat(),
        (total, needs, k) => {
          const keep = k % needs.length;
          const r = splitRows(total, needs, keep);
          expect(r.heights.reduce((a, b) => a + b, 0) + (r.folded.length ? 1 : 0)).toBe(total);
          expect(r.kept).toContain(keep);
          for (const h of r.heights) expect(h).toBeGreaterThanOrEqual(PANE_MIN_ROWS);
          const someGrow = r.kept.some((i) => needs[i].grows);
          const wantsMet = r.kept.every((i, j) => r.heights[j] >= Math.max(PANE_MIN_ROWS, needs[i].want));
          if (someGrow)
            r.kept.forEach((i, j) => {
              if (!needs[i].grows) expect(r.heights[j]).toBeLessThanOrEqual(Math.max(PANE_MIN_ROWS, needs[i].want));
            });
          // Rows past a want go only to panes whose wants are met.
          if (!wantsMet) r.kept.forEach((i, j) => expect(r.heights[j]).toBeLessThanOrEqual(Math.max(PANE_MIN_ROWS, needs[i].want)));
        },
      ),
      { numRuns: 600 },
    );
  });
});
