// The last stage before the terminal: an allowlist of the control sequences perfscope itself
// writes. Everything written to a terminal (the screen's frames, the help overlay and the status
// line inside them, entering and leaving the alternate screen, --help, the one-line errors on
// stderr) passes filterTerminal(), through the stream guard that the command line puts on
// process.stdout and process.stderr when they are terminals (guardTerminal). Untrusted text is
// escaped where it is shown (safe(), src/probes/strings.ts); this stage makes sure that what
// slips past (a new pane, a label nobody escaped, a crafted recording) cannot speak to the
// terminal: no window title (OSC), no DCS/APC/PM/SOS string, no 8-bit C1 control, no mode switch
// or reset that perfscope does not make itself.
//
// Let through, exactly as written:
//   text (any code point from U+0020 up, but DEL and the C1 controls U+0080..U+009F)
//   LF, and CR only as part of CR LF (the frame writer's full repaint)
//   CSI SGR               ESC [ <digits ; :> m            colours and styles (chalk, Ink)
//   CSI cursor and erase  ESC [ <digits ;> A..H f J K     cursor moves, erase in line / display
//   CSI scrolling         ESC [ <digits ;> r S T          the frame writer's scroll region and scroll up
//   CSI private modes     ESC [ ? 25|1049|2026 h|l        cursor show/hide, alternate screen, synchronized output
//                         ESC [ ? 1000|1006 h|l           the screen's mouse: button reports, SGR encoding (src/ui/mouse.ts)
// Removed, the whole sequence (its introducer, parameters and string): any other CSI (8-bit CSI
// too), OSC/DCS/SOS/PM/APC up to their terminator (BEL or ST; an unterminated one up to the end of
// the write), any other ESC sequence, the other C0 controls, DEL and the C1 controls. Removing
// (rather than showing an escape) keeps a row no wider than its layout said.
//
// Written by hand, and why: the parsers on npm (ansi-regex, strip-ansi, @ansi-tools/parser) match
// or strip *every* sequence; what is needed here is the opposite decision — keep a short list,
// drop the rest including the payload of string sequences — and it is one linear pass.

const ESC = 0x1b;
const ALLOWED_PRIVATE_MODES = new Set(['?25', '?1049', '?2026', '?1000', '?1006']);
const CURSOR_FINALS = 'ABCDEFGHfJKrST';

/** Is the CSI with these parameter bytes, intermediates and final byte one perfscope writes? */
function allowedCsi(params: string, inter: string, final: string): boolean {
  if (inter.length > 0) return false;
  if (final === 'm') return /^[0-9;:]*$/.test(params);
  if (CURSOR_FINALS.includes(final)) return /^[0-9;]*$/.test(params);
  if (final === 'h' || final === 'l') return ALLOWED_PRIVATE_MODES.has(params);
  return false;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** Where the string sequence whose body starts at `i` ends (past its BEL or ST), or s.length. */
function endOfString(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x07 || c === 0x9c) return i + 1;
    if (c === ESC && s.charCodeAt(i + 1) === 0x5c) return i + 2;
    // Another introducer ends it too (as terminals abort a string on ESC or CAN/SUB): what follows is parsed anew.
    if (c === ESC || c === 0x18 || c === 0x1a) return i;
  }
  return s.length;
}

/** A CSI whose parameters start at `i`: [end, params, intermediates, final] (final '' when cut off). */
function scanCsi(s: string, i: number): [number, string, string, string] {
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x3f) j++;
  const params = s.slice(i, j);
  const k = j;
  while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
  const inter = s.slice(k, j);
  const c = s.charCodeAt(j);
  if (j < s.length && c >= 0x40 && c <= 0x7e) return [j + 1, params, inter, s[j]];
  return [j, params, inter, ''];
}

/** `s` with every control sequence but perfscope's own removed (see the header of this file). */
export function filterTerminal(s: string): string {
  if (!CONTROL.test(s)) return s; // plain text and newlines: the usual stderr line
  let out = '';
  let from = 0; // start of the run of text not yet copied
  let i = 0;
  const n = s.length;
  const drop = (end: number) => {
    out += s.slice(from, i);
    i = end;
    from = end;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && (c < 0x80 || c > 0x9f)) {
      i++;
      continue;
    }
    if (c === 0x0a || (c === 0x0d && s.charCodeAt(i + 1) === 0x0a)) {
      i++;
      continue;
    }
    if (c === ESC) {
      const d = s.charCodeAt(i + 1);
      if (d === 0x5b) {
        const [end, params, inter, final] = scanCsi(s, i + 2);
        if (final && allowedCsi(params, inter, final)) {
          i = end;
          continue;
        }
        drop(end);
      } else if (d === 0x5d || d === 0x50 || d === 0x58 || d === 0x5e || d === 0x5f) {
        drop(endOfString(s, i + 2)); // OSC, DCS, SOS, PM, APC
      } else {
        // nF / Fp / Fe / Fs sequences: intermediates, then one final byte (ESC c, ESC 7, ESC ( B, ...).
        let j = i + 1;
        while (j < n && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
        if (j < n && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x7e) j++;
        drop(j);
      }
      continue;
    }
    if (c === 0x9b) {
      drop(scanCsi(s, i + 1)[0]); // 8-bit CSI: perfscope never writes one
    } else if (c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
      drop(endOfString(s, i + 1));
    } else {
      drop(i + 1); // any other C0, DEL, C1
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

type Write = NodeJS.WriteStream['write'];

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * Put filterTerminal() in front of a terminal stream's write(): every later write to it, by
 * anyone (Ink, the frame writer, the command line's error lines), passes the allowlist. Only for
 * a TTY (a pipe or a file gets the bytes as they are: --json lines are data). Idempotent.
 */
export function guardTerminal(stream: NodeJS.WriteStream): void {
  if (!stream.isTTY || guarded.has(stream)) return;
  guarded.add(stream);
  const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    // A string is written as UTF-8 whatever encoding was asked for (the filter works on text).
    const tail = rest.filter((r) => typeof r === 'function');
    return original(filterTerminal(text), ...tail);
  };
  stream.write = write as Write;
}
