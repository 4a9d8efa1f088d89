// Strings from the kernel or other processes (comm, file names, argv) are untrusted: a hostile
// process can put escape sequences in them. They are escaped once, where they are decoded, so
// that every consumer (screen, --json, logs) only ever sees printable text:
//   control bytes  -> \a \b \t \n \v \f \r \e or \xNN  (as `ls -b` and `less` show them)
//   backslash      -> \\  (so the escaping is unambiguous)
//   invalid UTF-8  -> \xNN per byte
//   C1 controls, DEL, and Unicode bidi/format overrides -> \u{NNNN}
// Valid printable UTF-8 (e.g. "café", "日本") passes through unchanged.

const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 92: '\\\\' };

/** \xNN of every byte, made once (a flood of invalid bytes escapes each one). */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, b) => '\\x' + b.toString(16).padStart(2, '0'));

function hex2(b: number): string {
  return HEX2[b];
}

/** Code points that must not reach a terminal raw even when valid UTF-8 (C0 controls aside). */
export function unsafeCodePoint(cp: number): boolean {
  return (
    cp === 0x7f ||
    (cp >= 0x80 && cp <= 0x9f) || // C1 controls (CSI is 0x9b)
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) || // line/paragraph separators, bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb)
  );
}

/** Escape raw bytes (already cut at the first NUL, if any) into safe printable text. */
export function escapeBytes(buf: Uint8Array): string {
  let out = '';
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      if (b < 0x20 || b === 0x7f || b === 92) out += NAMED[b] ?? hex2(b);
      else out += String.fromCharCode(b);
      i++;
      continue;
    }
    // Decode one UTF-8 sequence strictly; anything malformed is shown byte by byte.
    let len = 0;
    let cp = 0;
    let min = 0;
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
      cp = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      cp = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      cp = b & 0x07;
      min = 0x10000;
    }
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      out += hex2(b);
      i++;
      continue;
    }
    out += unsafeCodePoint(cp) ? `\\u{${cp.toString(16)}}` : String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/** A NUL-terminated C string inside a fixed-size field: the bytes up to the first NUL, escaped. */
export function cString(buf: Buffer, offset: number, size: number): string {
  const end = Math.min(offset + size, buf.length);
  let stop = offset;
  let plain = true; // printable ASCII without a backslash: nothing to escape (the usual case)
  for (; stop < end; stop++) {
    const b = buf[stop];
    if (b === 0) break;
    if (b < 0x20 || b > 0x7e || b === 92) plain = false;
  }
  return plain ? buf.toString('latin1', offset, stop) : escapeBytes(buf.subarray(offset, stop));
}

/**
 * Text that is already a string (a replayed recording's, a message quoting a file name or a flag)
 * made safe as escapeBytes makes bytes: each control character, C1 control, bidi/format code point
 * and lone surrogate becomes the escape escapeBytes writes for it (\e, \xNN, \u{NNNN}). A
 * backslash is left alone: escaped text stays as it is (escapeText(escapeBytes(b)) ===
 * escapeBytes(b)), so that a live string and the same string replayed are the same.
 */
export function escapeText(s: string): string {
  return UNSAFE_TEXT.test(s) ? s.replace(UNSAFE_TEXT_G, escapeCodePoint) : s;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udfff]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const UNSAFE_TEXT_G = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udfff]/gu;

function escapeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20) return NAMED[cp] ?? hex2(cp);
  return `\\u{${cp.toString(16)}}`;
}

/** `s` cut to at most `n` UTF-16 units, never between the two halves of a surrogate pair (half a pair is no text), "…" added when cut. */
export function cutText(s: string, n: number): string {
  if (s.length <= n) return s;
  const c = s.charCodeAt(n - 1);
  return `${s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n)}…`;
}
