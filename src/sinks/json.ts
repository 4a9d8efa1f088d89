// The --json contract: one object per interval, one per line (NDJSON), built from the same
// Interval every sink gets, by the interval codec (src/catalogue/codec.ts).
import type { Catalogue } from '../catalogue/catalogue.js';
import { intervalToLine } from '../catalogue/codec.js';
import type { Sink } from '../catalogue/sink.js';

/** Writes every interval as a line; after `count` lines (null: never) calls onDone once. */
export function jsonSink(cat: Catalogue, write: (line: string) => void, count: number | null, onDone: () => void): Sink {
  let n = 0;
  return {
    interval(iv) {
      if (count !== null && n >= count) return;
      write(intervalToLine(cat, iv));
      n++;
      if (count !== null && n >= count) onDone();
    },
  };
}
