// One row of styled text cut to a known width, laid out by Ink without its text caches growing.
//
// Ink measures every text it lays out and keeps each measure, and each truncation, in caches that
// never empty (ink/build/measure-text.js, wrap-text.js): the screen's lines change every interval
// (costs, counts, times), so its memory grew with every line ever shown. Here a row is cut to its
// width first (as Ink's wrap="truncate" would), then laid out as placeholders of the same widths
// — one letter per segment, styled by Ink's own <Text> — so Ink's caches see one string per shape
// of row (a bounded set); the text itself replaces the placeholders as Ink writes the row
// (Ink's <Transform>), inside the escapes Ink styled them with, where nothing is cached.
import React from 'react';
import { Text, Transform } from 'ink';
import { cachedWidth, fitWidth, rememberWidth } from '../output-stage.js';
import { safe } from '../safe.js';

export interface Segment {
  readonly text: string;
  readonly bold?: boolean;
  readonly inverse?: boolean;
  readonly dimColor?: boolean;
  readonly color?: string;
}

/** Placeholder letters, one per segment: never 'm' or '[', the letters of an SGR escape. */
const LETTERS = 'abcdefghijklnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const RUN = /([a-ln-zA-Z])\1*/g;

/** The segments cut to `width` cells in all (unchanged when they fit; else cut, then "…" in the style of the last one kept). */
export function fitSegments(segs: readonly Segment[], width: number): Segment[] {
  const whole = segs.map((s) => s.text).join('');
  if (cachedWidth(whole) <= width) return segs.filter((s) => s.text.length > 0);
  const cut = fitWidth(whole, width);
  const keep = cut.slice(0, -1); // without the "…"
  const out: Segment[] = [];
  let at = 0;
  for (const s of segs) {
    if (at >= keep.length) break;
    const part = keep.slice(at, at + s.text.length);
    at += s.text.length;
    if (part) out.push({ ...s, text: part });
  }
  // Ink's cut (cli-truncate) gives the "…" the style of the last character kept.
  if (cut.endsWith('…')) {
    const last = out.at(-1);
    if (last) out[out.length - 1] = { ...last, text: last.text + '…' };
    else out.push({ text: '…' });
  }
  return out;
}

export interface FittedRowProps {
  readonly segments: readonly Segment[];
  readonly width: number;
}

/** The segments with their text escaped (safe()): a row is shown text, whoever built it (a label, a replayed value). */
function escaped(segments: readonly Segment[]): readonly Segment[] {
  return segments.some((s) => typeof s.text !== 'string' || safe(s.text) !== s.text) ? segments.map((s) => ({ ...s, text: safe(s.text) })) : segments;
}

function Row({ segments, width }: FittedRowProps): React.JSX.Element {
  const segs = fitSegments(escaped(segments), Math.max(0, width)).slice(0, LETTERS.length);
  if (segs.length === 0) return <Text>{''}</Text>; // as Ink lays out an empty line: no row
  const texts = new Map<string, string>();
  let total = 0;
  const holders = segs.map((s, i) => {
    texts.set(LETTERS[i], s.text);
    const w = cachedWidth(s.text);
    total += w;
    return LETTERS[i].repeat(w);
  });
  // Ink applies the transform to the row at every frame, changed or not: the last answer is kept
  // for the same input (this closure lives as long as the row's render, its texts with it).
  let lastIn: string | null = null;
  let lastOut = '';
  const fill = (styled: string, line: number) => {
    if (line !== 0) return '';
    if (styled !== lastIn) {
      lastOut = styled.replace(RUN, (run) => texts.get(run[0]) ?? run);
      lastIn = styled;
    }
    rememberWidth(lastOut, total); // the output stage need not measure it again
    return lastOut;
  };
  return (
    <Transform transform={fill}>
      {segs.map((s, i) => (
        <Text key={i} bold={s.bold} inverse={s.inverse} dimColor={s.dimColor} color={s.color}>
          {holders[i]}
        </Text>
      ))}
    </Transform>
  );
}

const sameSegment = (a: Segment, b: Segment) =>
  a.text === b.text && a.bold === b.bold && a.inverse === b.inverse && a.dimColor === b.dimColor && a.color === b.color;

/** A row re-renders only when its width or a segment changed (most rows stay the same from one interval to the next). */
export const FittedRow = React.memo(
  Row,
  (a, b) => a.width === b.width && a.segments.length === b.segments.length && a.segments.every((s, i) => sameSegment(s, b.segments[i])),
);
