// The view of a feed (filtered, newest at the bottom, fitting the height), whatever its events:
// each feed's pane brings its header and its line function (one line per event, like execsnoop,
// opensnoop, tcpconnect: src/ui/lines/<feed>-lines.ts). Pure; every untrusted field goes
// through safe() in the line functions.

/** Local wall-clock time HH:MM:SS of an epoch-ms timestamp. */
export function fmtClock(ts: number): string {
  if (!Number.isFinite(ts)) return '--:--:--';
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const pad = (s: string | number, w: number) => String(s).padEnd(w);
export const lpad = (s: string | number, w: number) => String(s).padStart(w);

/** A feed's lines: the column header and one line per event (laid out for `width` columns). */
export interface FeedLines<E> {
  readonly header: string;
  readonly line: (e: E, width?: number) => string;
}

export interface FeedView {
  /** Newest at the bottom, at most `height`. */
  readonly lines: string[];
  /** Events that match the filter (of those kept for the screen). */
  readonly matching: number;
}

/**
 * The newest `height` lines of a feed that contain `filter` (case-insensitive), newest last,
 * laid out for `width` columns. The filter matches the whole line, not just what fits.
 */
export function feedView<E>(lines: FeedLines<E>, events: readonly E[], filter: string, height: number, width = Infinity): FeedView {
  const full = lines.line;
  const fmt = (e: E) => full(e, width);
  const f = filter.toLowerCase();
  const out: string[] = [];
  let matching = 0;
  // Walk from the newest: stop formatting once the screen is full (still count matches).
  for (let i = events.length - 1; i >= 0; i--) {
    const line = fmt(events[i]);
    if (f && !line.toLowerCase().includes(f) && !full(events[i]).toLowerCase().includes(f)) continue;
    matching++;
    if (out.length < height) out.push(line);
    else if (!f) {
      matching += i; // no filter: every older event matches too
      break;
    }
  }
  return { lines: out.reverse(), matching };
}
