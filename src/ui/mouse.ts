// The mouse, as xterm's SGR reports (mode 1006 over 1000: "ESC [ < button ; column ; row M",
// release "m"), which Ink hands over as input like any escape sequence (its ESC stripped).
// Pure: a report and the store's state give store actions, using the same layout the screen
// draws (layout.ts) to find the pane under the pointer. A left click focuses the pane (and
// sorts by a column when on a table's header), the wheel scrolls a feed or moves a table's
// selected row, a click on the fold line focuses the first pane it names.
import { cellAt, chromeRows, computeLayout, isFold } from './layout.js';
import { paneNeeds } from './pane-needs.js';
import { hasRows, isFeed, sortOf, type AppActions, type AppState, type PaneId } from '../store/store.js';
import { PANE_HEADERS } from './panes.js';
import type { HeaderFn } from './pane.js';

/** Asks the terminal for button presses and the wheel (1000), reported as SGR (1006); and back off. */
export const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
export const MOUSE_OFF = '\x1b[?1006l\x1b[?1000l';

export interface MouseReport {
  /** The button code (0 left, 1 middle, 2 right, 64/65 wheel up/down; +4 shift, +8 meta, +16 ctrl, +32 motion). */
  readonly button: number;
  /** 0-based cell. */
  readonly x: number;
  readonly y: number;
  readonly release: boolean;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal's report starts with ESC
const REPORT = /\x1b?\[<(\d{1,4});(\d{1,5});(\d{1,5})([Mm])/g;

/** Every SGR mouse report in a chunk of input ([] when it holds none). */
export function parseMouse(input: string): MouseReport[] {
  if (!input.includes('[<')) return [];
  const out: MouseReport[] = [];
  for (const m of input.matchAll(REPORT)) out.push({ button: Number(m[1]), x: Number(m[2]) - 1, y: Number(m[3]) - 1, release: m[4] === 'm' });
  return out;
}

/** Is the chunk made only of mouse reports (nothing left for the keyboard)? */
export const onlyMouse = (input: string): boolean => input.replace(REPORT, '') === '';

/** Wheel steps: events a feed scrolls, rows a table's selection moves. */
export const WHEEL_EVENTS = 3;

/** The header row of a pane's sortable table (row inside the pane, frame included) and its text, or null (its pane's PANE_HEADERS entry). */
export function tableHeader(s: AppState, pane: PaneId, width: number, height: number): { readonly row: number; readonly text: string } | null {
  if (!sortOf(s, pane) || !s.shown || (s.health as Record<string, { state: string }>)[pane]?.state !== 'running') return null;
  const fn = (PANE_HEADERS as Readonly<Record<string, HeaderFn>>)[pane];
  return fn ? fn(s, width, height) : null;
}

/** The column of a header under cell `x` (inside the pane's border): the title there, or the nearest. */
export function columnAt(header: string, titles: readonly string[], x: number): string | null {
  const cells = [...header];
  const spans: { title: string; from: number; to: number }[] = [];
  for (const t of titles) {
    const tl = [...t].length;
    for (let i = 0; i + tl <= cells.length; i++) {
      if (cells.slice(i, i + tl).join('') !== t) continue;
      const before = i === 0 ? ' ' : cells[i - 1];
      const after = cells[i + tl] ?? ' ';
      if (before === ' ' && /[ ▲▼]/.test(after)) {
        spans.push({ title: t, from: i, to: i + tl + (after === ' ' ? 0 : 1) });
        break;
      }
    }
  }
  if (spans.length === 0) return null;
  const inside = spans.find((sp) => x >= sp.from && x < sp.to);
  if (inside) return inside.title;
  // Between titles: the column whose title is nearest.
  let best = spans[0];
  for (const sp of spans) if (Math.abs(x - (sp.from + sp.to) / 2) < Math.abs(x - (best.from + best.to) / 2)) best = sp;
  return best.title;
}

/**
 * One mouse report against the screen of `columns` x `rows`: 'handled' when it did something.
 * Presses only (a release is ignored), and nothing while the help or the pane chooser is open.
 */
export function handleMouse(s: AppState & AppActions, m: MouseReport, columns: number, rows: number): boolean {
  if (m.release || (m.button & 32) !== 0 || s.helpOpen || s.paneMenu !== null) return false;
  const layout = computeLayout(columns, rows, s.focus, paneNeeds(s, columns, rows));
  if (layout.kind === 'too-small') return false;
  // The header is the first row; the tabs layout has its tab row under it.
  const top = chromeRows(layout.kind) - 1;
  const hit = cellAt(layout, m.x, m.y - top);
  if (!hit) return false;
  const wheel = m.button & 0b11000011;
  if (isFold(hit.cell)) {
    if (wheel !== 0) return false;
    s.setFocus(hit.cell.fold[0]);
    return true;
  }
  const pane = hit.cell.pane;
  if (wheel === 64 || wheel === 65) {
    const up = wheel === 64;
    if (isFeed(s.catalogue, pane)) {
      s.scrollFeed(pane, up ? WHEEL_EVENTS : -WHEEL_EVENTS);
      return true;
    }
    if (s.focus !== pane) s.setFocus(pane);
    const now = s.focus === pane ? s : { ...s, focus: pane };
    if (hasRows(now)) {
      s.moveCursor(up ? -1 : 1);
      return true;
    }
    return s.focus !== pane;
  }
  if (wheel !== 0) return false; // middle, right: nothing
  if (s.focus !== pane) s.setFocus(pane);
  const header = tableHeader(s, pane, hit.cell.width, hit.cell.height);
  const titles = s.catalogue.find((p) => p.name === pane)?.sortColumns;
  if (header && titles && hit.y === header.row && hit.x >= 1) {
    const col = columnAt(header.text, titles, hit.x - 1);
    if (col) s.sortBy(pane, col);
  }
  return true;
}
