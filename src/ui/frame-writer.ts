// Only the lines that changed reach the terminal.
//
// perfscope draws a full-screen frame (as many rows as the terminal). For such frames Ink 6
// does not use its incremental renderer: every render writes "clear the screen" followed by the
// whole frame (ink.js: `lastOutputHeight >= rows` -> clearTerminal + output), about 2-3 KB per
// render at 80x24 — and its incremental renderer is off by one row when the frame does not fill
// the screen. So the screen's stdout is wrapped: a write that starts with Ink's clearTerminal
// is a whole frame; it is compared with the previous frame and only the changed rows are
// rewritten, each addressed absolutely (CUP row;1, erase the line, the new text). Everything
// else Ink writes (cursor show/hide, synchronized-update brackets) passes through unchanged.
// A size change, or any other text written, repaints the next frame in full.

/** ansi-escapes' clearTerminal, as Ink writes it before a full-screen frame. */
export const CLEAR_TERMINAL = '\x1b[2J\x1b[3J\x1b[H';
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const ESCAPES_ONLY = /^(?:\x1b\[[?0-9;]*[A-Za-z])*$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const PAINTS_BLANKS = /\x1b\[(?:[0-9;]*;)?(?:7|4[0-9]|10[0-7])(?:;[0-9;]*)?m/;

/**
 * A row as written after its line was erased: runs of 5+ spaces become a cursor move (erased
 * cells are blank already), unless the row draws blanks in a colour (inverse, background).
 */
export function compactRow(line: string): string {
  if (PAINTS_BLANKS.test(line)) return line;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
  return line.replace(/ {5,}/g, (m) => `\x1b[${m.length}C`).replace(/(?:\x1b\[\d+C)+$/, '');
}

export interface Scroll {
  /** First and last row (0-based) of `next` that are rows of `prev` moved up by `k`. */
  readonly top: number;
  readonly bottom: number;
  readonly k: number;
}

/**
 * The longest run of rows that moved up together between two frames (a feed that scrolled),
 * or null when scrolling would not save anything.
 */
export function findScroll(prev: readonly string[], next: readonly string[]): Scroll | null {
  const n = next.length;
  let best: Scroll | null = null;
  for (let k = 1; k < n - 1; k++) {
    let start = -1;
    for (let i = 0; i <= n - k; i++) {
      const same = i < n - k && next[i] === prev[i + k] && next[i] !== prev[i];
      if (same && start < 0) start = i;
      if (!same && start >= 0) {
        const len = i - start;
        if (len >= 3 && len > k && (!best || len > best.bottom - best.top + 1)) best = { top: start, bottom: i - 1, k };
        start = -1;
      }
    }
  }
  return best;
}

/** What to write to turn frame `prev` into frame `next` (rows as text lines with styles). */
export function diffFrame(prev: readonly string[] | null, next: readonly string[]): string {
  if (prev === null || prev.length !== next.length) return '\x1b[H\x1b[2J' + next.join('\r\n');
  let out = '';
  let base = prev;
  const sc = findScroll(prev, next);
  if (sc) {
    // Scroll rows top..bottom+k up by k inside a scroll region (DECSTBM + SU), then reset the
    // region; the k rows that come in at the bottom are blank.
    out += `\x1b[${sc.top + 1};${sc.bottom + sc.k + 1}r\x1b[${sc.k}S\x1b[r`;
    const shifted = [...prev];
    for (let i = sc.top; i <= sc.bottom; i++) shifted[i] = prev[i + sc.k];
    for (let i = sc.bottom + 1; i <= sc.bottom + sc.k; i++) shifted[i] = '';
    base = shifted;
  }
  for (let i = 0; i < next.length; i++) {
    if (next[i] !== base[i]) out += `\x1b[${i + 1};1H\x1b[2K${compactRow(next[i])}`;
  }
  return out;
}

export interface FrameStats {
  frames: number;
  bytes: number;
}

/**
 * A stdout for Ink that forwards to `out`, turning Ink's full-screen repaints into row diffs.
 * Everything that is not write() is the real stream's (columns, rows, isTTY, 'resize', ...).
 */
export function frameDiffingStdout(out: NodeJS.WriteStream, stats?: FrameStats): NodeJS.WriteStream {
  let prev: string[] | null = null;
  let prevSize = '';
  const write = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const callback = typeof encoding === 'function' ? encoding : cb;
    let s = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (s.startsWith(CLEAR_TERMINAL)) {
      const lines = s.slice(CLEAR_TERMINAL.length).split('\n');
      const size = `${out.columns}x${out.rows}`;
      s = diffFrame(size === prevSize ? prev : null, lines);
      prev = lines;
      prevSize = size;
      if (stats) stats.frames++;
    } else if (!ESCAPES_ONLY.test(s)) {
      prev = null; // something else drew on the screen: repaint in full next time
    }
    if (stats) stats.bytes += Buffer.byteLength(s);
    return s.length === 0 ? (typeof callback === 'function' && callback(), true) : out.write(s, callback as () => void);
  };
  return new Proxy(out, {
    get(target, prop) {
      if (prop === 'write') return write;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
