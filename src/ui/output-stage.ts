// The screen's own output stage, behind Ink's render tree.
//
// Ink turns its laid-out tree into text in Output.get() (ink/build/output.js): it fills a grid of
// one object per cell (12,288 of them at 160x48, each frame), tokenizes every line written into
// styled characters and turns the grid back into a string, row by row. For the screen that was
// most of the main thread's work and ~80 % of its allocation (~50 MB/s at 160x48 with every probe
// on), so most of its garbage collection too. The writes perfscope's screen makes never overlap
// (panes side by side, borders around text already cut to width) and are clipped vertically only
// (PaneFrame's overflowY): such a frame is the writes of each row placed left to right, the gaps
// between them blanks. This stage composes exactly that, with no per-cell objects and no
// tokenizing; any frame it cannot compose that way (a horizontal clip, writes that overlap or
// pass the right edge) is handed to Ink's own get() unchanged.
//
// Ink does not export its Output class; its module is imported by path (node_modules/ink/build/
// output.js, which the bundle resolves to the very module it bundles for Ink), and its get() is
// replaced on the prototype. Where that class has no get() any more (another Ink) the screen
// keeps Ink's stage: slower, the same frames.
import textWidth, { ONE_CELL_EACH } from './text-width.js';
// Ink's own module, by path (its package exports only its entry): the very module Ink's renderer
// imports, in the repository and in the bundle alike (the bundler resolves it to the same file).
import InkOutputModule from '../../node_modules/ink/build/output.js';

interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}

type Transformer = (line: string, index: number) => string;

type Operation =
  | { type: 'write'; x: number; y: number; text: string; transformers: readonly Transformer[] }
  | { type: 'clip'; clip: Clip }
  | { type: 'unclip' };

/** What this stage needs of Ink's Output instance (its fields as ink/build/output.js has them). */
export interface InkOutput {
  width: number;
  height: number;
  operations: Operation[];
}

export type GetFn = (this: InkOutput) => { output: string; height: number };

/** Widths of the lines seen lately: bounded, emptied when full (the screen's lines repeat from frame to frame). */
const WIDTH_CACHE_MAX = 4096;
const widths = new Map<string, number>();

export function cachedWidth(s: string): number {
  // string-width strips escapes and tests each grapheme against the emoji pattern: the screen's
  // changing rows (counts, times) are new strings each interval, ~1.4 ms a second at 160x48.
  if (ONE_CELL_EACH.test(s)) return s.length;
  let w = widths.get(s);
  if (w === undefined) {
    if (widths.size >= WIDTH_CACHE_MAX) widths.clear();
    w = textWidth(s);
    widths.set(s, w);
  }
  return w;
}

// Made when first needed: the first Intl.Segmenter loads ICU's break rules (~12 ms), which a
// screen of one-cell text never needs.
let graphemes: Intl.Segmenter | undefined;

/**
 * `s` cut to `columns` terminal cells as Ink's wrap="truncate" cuts it (cli-truncate, at the end):
 * unchanged when it fits, else the graphemes that fit in columns − 1 cells, then "…".
 */
export function fitWidth(s: string, columns: number): string {
  if (cachedWidth(s) <= columns) return s;
  if (columns <= 0) return '';
  if (columns === 1) return '…';
  // One cell each: each character is a grapheme of one cell (all are in the BMP, none combines).
  if (ONE_CELL_EACH.test(s)) return `${s.slice(0, columns - 1)}…`;
  let out = '';
  let w = 0;
  for (const { segment } of (graphemes ??= new Intl.Segmenter()).segment(s)) {
    // textWidth, not string-width: a one-cell grapheme compiles no emoji pattern (~35 ms of the first frame).
    const g = textWidth(segment);
    if (w + g > columns - 1) break;
    out += segment;
    w += g;
  }
  return out + '…';
}

/** Say the width of a line built here whose width is known (FittedRow's rows), so that composing it measures nothing. */
export function rememberWidth(s: string, w: number): void {
  if (widths.size >= WIDTH_CACHE_MAX) widths.clear();
  widths.set(s, w);
}

/** How many widths the cache holds now (for tests: it stays bounded). */
export function widthCacheSize(): number {
  return widths.size;
}

export const WIDTH_CACHE_LIMIT = WIDTH_CACHE_MAX;

interface Segment {
  x: number;
  end: number;
  text: string;
}

/**
 * The frame of `ops` in a `width` x `height` area as rows joined by '\n', or null when it
 * needs Ink's general stage (a horizontal clip, overlapping writes, a write past the right edge).
 */
export function composeFrame(width: number, height: number, ops: readonly Operation[]): string | null {
  const rows: (Segment[] | undefined)[] = new Array(height);
  const clips: Clip[] = [];
  for (const op of ops) {
    if (op.type === 'clip') {
      if (typeof op.clip.x1 === 'number' || typeof op.clip.x2 === 'number') return null;
      clips.push(op.clip);
      continue;
    }
    if (op.type === 'unclip') {
      clips.pop();
      continue;
    }
    const { x, transformers } = op;
    let y = op.y;
    let lines = op.text.split('\n');
    const clip = clips.at(-1);
    if (clip && typeof clip.y1 === 'number' && typeof clip.y2 === 'number') {
      if (y + lines.length < clip.y1 || y > clip.y2) continue;
      const from = y < clip.y1 ? clip.y1 - y : 0;
      const to = y + lines.length > clip.y2 ? clip.y2 - y : lines.length;
      lines = lines.slice(from, to);
      if (y < clip.y1) y = clip.y1;
    }
    for (let i = 0; i < lines.length; i++) {
      const row = y + i;
      if (row < 0 || row >= height) continue;
      let line = lines[i];
      for (const t of transformers) line = t(line, i);
      if (line.length === 0) continue;
      const w = cachedWidth(line);
      if (x < 0 || x + w > width) return null;
      (rows[row] ??= []).push({ x, end: x + w, text: line });
    }
  }
  let out = '';
  for (let r = 0; r < height; r++) {
    if (r > 0) out += '\n';
    const segs = rows[r];
    if (!segs) continue;
    if (segs.length > 1) segs.sort((a, b) => a.x - b.x);
    let col = 0;
    for (const s of segs) {
      if (s.x < col) return null;
      if (s.x > col) out += ' '.repeat(s.x - col);
      out += s.text;
      col = s.end;
    }
  }
  return out;
}

/** Frames since install: composed by this stage, or handed to Ink's own get(). */
export const stageStats = { composed: 0, fallback: 0 };

/** Ink's get() with this stage in front: Ink's own for the frames this stage does not compose. */
export function composingGet(original: GetFn): GetFn {
  return function get(this: InkOutput) {
    const output = composeFrame(this.width, this.height, this.operations);
    if (output === null) {
      stageStats.fallback++;
      return original.call(this);
    }
    stageStats.composed++;
    return { output, height: this.height };
  };
}

let restore: (() => void) | null = null;

/**
 * Put this stage in front of Ink's Output.get(). Returns whether it is in place (false: Ink's
 * Output module was not found, the screen uses Ink's stage). Idempotent.
 */
export async function installOutputStage(): Promise<boolean> {
  if (restore) return true;
  const p = (InkOutputModule as unknown as { prototype?: { get?: unknown } }).prototype;
  const proto = p && typeof p.get === 'function' ? (p as { get: GetFn }) : undefined;
  if (!proto) return false;
  const target = proto;
  const original = target.get;
  target.get = composingGet(original);
  restore = () => {
    target.get = original;
    restore = null;
  };
  return true;
}

/** Put Ink's own stage back (tests compare the two). */
export function uninstallOutputStage(): void {
  restore?.();
}
