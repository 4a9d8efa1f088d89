import { describe, expect, it } from 'vitest';
import { cString, escapeBytes } from '../../src/probes/strings.js';

describe('escapeBytes: untrusted bytes become printable text', () => {
  it('passes printable ASCII and valid UTF-8 through', () => {
    expect(escapeBytes(Buffer.from('/tmp/café 日本.txt'))).toBe('/tmp/café 日本.txt');
  });
  it('escapes control bytes, ESC and backslash', () => {
    expect(escapeBytes(Buffer.from('a\x1b]0;title\x07b\n\\'))).toBe('a\\e]0;title\\ab\\n\\\\');
    expect(escapeBytes(Buffer.from([0x01, 0x7f]))).toBe('\\x01\\x7f');
  });
  it('escapes C1 controls (8-bit CSI) and bidi overrides even when valid UTF-8', () => {
    expect(escapeBytes(Buffer.from('\u009b31m'))).toBe('\\u{9b}31m');
    expect(escapeBytes(Buffer.from('x\u202ey'))).toBe('x\\u{202e}y');
  });
  it('shows invalid UTF-8 byte by byte', () => {
    expect(escapeBytes(Buffer.from([0x66, 0xff, 0xc3, 0x28, 0xe2, 0x82]))).toBe('f\\xff\\xc3(\\xe2\\x82');
    expect(escapeBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // surrogate
    expect(escapeBytes(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // overlong
  });
  it('never lets a byte below 0x20 through, for any input', () => {
    for (let b = 0; b < 256; b++) {
      const s = escapeBytes(Buffer.from([b, 0x41]));
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
      expect(/[\x00-\x1f\x7f-\x9f]/.test(s)).toBe(false);
      expect(() => JSON.parse(JSON.stringify(s))).not.toThrow();
    }
  });
  it('cString stops at NUL and at the field size', () => {
    const b = Buffer.from('bash\0garbage....');
    expect(cString(b, 0, 16)).toBe('bash');
    expect(cString(Buffer.from('abcdef'), 1, 3)).toBe('bcd');
  });
});
