// Last line of defence before the terminal: every cell that shows untrusted text (comm, paths,
// argv, addresses) goes through safe(). The probes already escape at decode time
// (src/probes/strings.ts); this catches anything that slipped through (a new probe, a fixture,
// a /proc reader) so that no control character can ever reach the terminal raw:
//   C0 controls and DEL -> \e, \n, \t, ... or \xNN;  C1 controls (0x80-0x9f, e.g. CSI 0x9b),
//   line/paragraph separators, bidi embeddings/overrides/isolates, zero-width and BOM -> \u{NNNN}.
// Printable text (including an already escaped "\e") passes through unchanged.

const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const UNSAFE_G = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udfff]/gu;

function replace(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (NAMED[cp]) return NAMED[cp];
  if (cp < 0x20) return '\\x' + cp.toString(16).padStart(2, '0');
  return `\\u{${cp.toString(16)}}`;
}

/** Untrusted text made safe to write to a terminal. */
export function safe(s: unknown): string {
  const str = typeof s === 'string' ? s : s === null || s === undefined ? '' : String(s);
  return UNSAFE.test(str) ? str.replace(UNSAFE_G, replace) : str;
}

/** Does this text hold anything a terminal would interpret (used by tests and assertions)? */
export function hasControl(s: string): boolean {
  return UNSAFE.test(s);
}
