// The --json contract: one object per interval, one per line (NDJSON), built from the same
// Interval every sink gets, by the interval codec (src/catalogue/codec.ts), and written in the
// pieces it is made in (intervalChunks): no interval is ever one string in memory here.
// A slow reader (a pipe that is full) does not make perfscope buffer without end: Node queues
// what a full pipe does not take, so before each line the writer looks at what is queued
// (`backlog`) and, above JSON_BACKLOG_MAX_BYTES, drops the whole line (the others stay whole and
// parseable) and counts it: `sinks.json.lost` in the next line written, one line on stderr the
// first time.
import type { Catalogue } from '../catalogue/catalogue.js';
import { intervalChunks } from '../catalogue/codec.js';
import type { Sink } from '../catalogue/sink.js';

/** Bytes queued for stdout above which a line is dropped rather than queued too: a few of the largest lines (a feed holds at most FEED_INTERVAL_MAX_BYTES), so a reader that keeps up on average loses none. */
export const JSON_BACKLOG_MAX_BYTES = 64 * 1024 * 1024;

export interface JsonSinkOptions {
  /** Bytes written and not yet taken by the reader (process.stdout.writableLength). */
  readonly backlog?: () => number;
  /** Said once, at the first line dropped. */
  readonly onFirstLost?: (message: string) => void;
  readonly backlogMax?: number;
}

/** Writes every interval as a line; after `count` lines written (null: never) calls onDone once. */
export function jsonSink(
  cat: Catalogue,
  write: (chunk: string) => void,
  count: number | null,
  onDone: () => void,
  opts: JsonSinkOptions = {},
): Sink & { lost(): number } {
  let n = 0;
  let lost = 0;
  const max = opts.backlogMax ?? JSON_BACKLOG_MAX_BYTES;
  return {
    name: 'json',
    interval(iv) {
      if (count !== null && n >= count) return;
      if (opts.backlog && opts.backlog() > max) {
        if (lost++ === 0)
          opts.onFirstLost?.(`--json: stdout is not being read fast enough: lines dropped while more than ${max} bytes wait (counted in sinks.json.lost)`);
        return;
      }
      for (const chunk of intervalChunks(cat, iv)) write(chunk);
      n++;
      if (count !== null && n >= count) onDone();
    },
    lost: () => lost,
  };
}
