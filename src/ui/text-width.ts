// Terminal cells of a text: string-width, with the common case answered by the text's length.
//
// string-width strips escapes and segments the text into graphemes, and its first grapheme
// outside ASCII compiles its emoji pattern (~17 ms) and its east-Asian table (~9 ms): that was
// on the way to every first frame, from Ink's own measuring of a pane's border or a "▶". The
// bundle (scripts/bundle.mjs, one-cell-string-width) gives Ink's string-width imports (Ink's
// output, widest-line, cli-truncate) this module instead; a property test holds it equal to
// string-width (test/ui/output-stage.test.ts), escapes included.
import stringWidth from 'string-width';

/**
 * Characters string-width gives one cell each, whatever stands beside them: printable ASCII and
 * Latin-1 (not the soft hyphen), punctuation (dashes, quotes, "…"), arrows, maths, box drawing,
 * blocks and geometric shapes (not U+25FD/U+25FE, emoji). No escape, no combining mark, no
 * variation selector or joiner, all in the BMP: in a string of only these each character is a
 * grapheme of one cell, so the string is as wide as it is long.
 */
export const ONE_CELL_EACH = /^[\x20-\x7e\xa0-\xac\xae-\xff\u2010-\u2027\u2030-\u205e\u2190-\u22ff\u2500-\u25fc\u25ff]*$/;

/**
 * SGR escapes (colours, bold: what chalk writes): CSI, groups of at most four digits, "m", a
 * shape string-width's strip-ansi removes whole (it removes more; the rest goes to string-width).
 * Ink measures its styled lines with them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is the escape sequence ESC [ … m
const SGR = /\x1b\[(?:\d{1,4}(?:;\d{0,4})*)?m/g;

type Options = Parameters<typeof stringWidth>[1];

/**
 * string-width's answer: the length for a string of one-cell characters, also once its SGR
 * escapes are taken out; else string-width's own.
 */
export default function textWidth(s: string, options?: Options): number {
  if (options === undefined && typeof s === 'string') {
    if (ONE_CELL_EACH.test(s)) return s.length;
    if (s.includes('\x1b')) {
      const t = s.replace(SGR, '');
      if (ONE_CELL_EACH.test(t)) return t.length;
    }
  }
  return stringWidth(s, options);
}
