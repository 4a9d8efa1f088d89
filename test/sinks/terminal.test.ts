// The terminal's allowlist (src/sinks/terminal.ts): perfscope's own sequences pass unchanged,
// everything else is removed, whatever the input (fast-check), and a guarded TTY stream filters
// every write.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterTerminal, guardTerminal } from '../../src/sinks/terminal.js';
import { CLEAR_TERMINAL, diffFrame } from '../../src/ui/frame-writer.js';
import { fuzzParams, fuzzTimeout } from '../helpers/fuzz.js';

// What may be in the output, written independently of the filter: text, LF, CR LF, and the
// allowlisted CSIs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const TOKEN = /\x1b\[[0-9;:]*m|\x1b\[[0-9;]*[A-HfJKrST]|\x1b\[\?(?:25|1049|2026|1000|1006)[hl]|\r\n|\n|[^\u0000-\u001f\u007f-\u009f]/uy;

function onlyAllowed(s: string): boolean {
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < s.length) {
    const at = TOKEN.lastIndex;
    if (!TOKEN.test(s) || TOKEN.lastIndex === at) return false;
  }
  return true;
}

const PERFSCOPE_SEQUENCES = [
  '\x1b[?1049h\x1b[H',
  '\x1b[?25h\x1b[?1049l',
  '\x1b[?25l',
  '\x1b[?2026h',
  '\x1b[?2026l',
  CLEAR_TERMINAL,
  '\x1b[1m',
  '\x1b[22m',
  '\x1b[38;5;214m',
  '\x1b[38;2;1;2;3m',
  '\x1b[39m',
  '\x1b[7m',
  '\x1b[27m',
  '\x1b[12;1H',
  '\x1b[2K',
  '\x1b[17C',
  '\x1b[3;20r\x1b[2S\x1b[r',
  '\x1b[1A',
  '\x1b[G',
  '\r\n',
];

// Strings rich in what terminals interpret: C0, C1, ESC, the introducers and their terminators.
const hostileChar = fc.oneof(
  fc.constantFrom(
    '\x1b',
    '[',
    ']',
    'P',
    '_',
    '^',
    'X',
    '\\',
    '\x07',
    '\x9c',
    '\x9b',
    '\x9d',
    '\x90',
    '\r',
    '\n',
    '\t',
    '\x7f',
    '?',
    ';',
    '2',
    'm',
    'h',
    'l',
    'H',
  ),
  fc.integer({ min: 0, max: 0xa0 }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc.constantFrom(...PERFSCOPE_SEQUENCES),
);
const hostile = fc.array(hostileChar, { maxLength: 60 }).map((a) => a.join(''));

describe('filterTerminal', () => {
  it("lets perfscope's own sequences and text through unchanged", () => {
    for (const s of PERFSCOPE_SEQUENCES) expect(filterTerminal(`a${s}b é 日本`)).toBe(`a${s}b é 日本`);
    const frame = diffFrame(['\x1b[36mone\x1b[39m', 'two'], ['\x1b[36mone\x1b[39m', 'three']);
    expect(filterTerminal(frame)).toBe(frame);
    const full = diffFrame(null, ['\x1b[1mhead\x1b[22m', 'x'.repeat(30)]);
    expect(filterTerminal(full)).toBe(full);
  });

  it('removes OSC, DCS, APC, PM, SOS, C1, other CSIs and ESC sequences, stray C0', () => {
    const cases: [string, string][] = [
      ['a\x1b]2;PWNED\x07b', 'ab'],
      ['a\x1b]0;PWNED\x1b\\b', 'ab'],
      ['a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b', 'alinkb'],
      ['a\x1bP$q"p\x1b\\b', 'ab'],
      ['a\x1b_Gf=100;AAAA\x1b\\b', 'ab'],
      ['a\x1b^pm\x1b\\b', 'ab'],
      ['a\x1bXsos\x9cb', 'ab'],
      ['a\x9d2;PWNED\x07b', 'ab'],
      ['a\x9b31mb', 'ab'],
      ['a\x9b?1049hb', 'ab'],
      ['a\x1b[6nb', 'ab'], // cursor position report: would type into perfscope's stdin
      ['a\x1b[21tb', 'ab'], // report the window title
      ['a\x1b[?1003hb', 'ab'], // any-motion mouse tracking (the screen asks for 1000 and 1006 only)
      ['a\x1b[4hb', 'ab'], // insert mode
      ['a\x1b[?25$pb', 'ab'],
      ['a\x1bcb', 'ab'], // full reset
      ['a\x1b(0b', 'ab'], // line-drawing charset
      ['a\x1b7\x1b8b', 'ab'],
      ['a\x07\x08\t\x0b\x0c\rb\x7f\x85', 'ab'],
      ['a\x1b]2;unterminated', 'a'],
      ['a\x1b', 'a'],
      ['a\x1b]2;x\x1b[31mred', 'a\x1b[31mred'], // ESC ends the string; the CSI after it is parsed anew
    ];
    for (const [input, want] of cases) expect(filterTerminal(input), JSON.stringify(input)).toBe(want);
  });

  it(
    'any string: the output holds only allowlisted sequences, and filtering again changes nothing',
    () => {
      fc.assert(
        fc.property(fc.oneof(hostile, fc.string({ unit: 'binary' })), (s) => {
          const out = filterTerminal(s);
          expect(onlyAllowed(out), JSON.stringify(out)).toBe(true);
          expect(filterTerminal(out)).toBe(out);
        }),
        fuzzParams(3000),
      );
    },
    fuzzTimeout(3000),
  );

  it(
    'a string without control characters, or made of text and allowlisted sequences, passes unchanged',
    () => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
      const plain = fc.string({ unit: 'binary' }).map((s) => s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ''));
      fc.assert(
        fc.property(plain, (s) => {
          expect(filterTerminal(s)).toBe(s);
        }),
        fuzzParams(2000),
      );
      const made = fc.array(fc.oneof(plain, fc.constantFrom(...PERFSCOPE_SEQUENCES)), { maxLength: 20 }).map((a) => a.join(''));
      fc.assert(
        fc.property(made, (s) => {
          expect(filterTerminal(s)).toBe(s);
        }),
        fuzzParams(2000),
      );
    },
    fuzzTimeout(4000),
  );

  it('is linear: a megabyte of introducers is filtered at once', () => {
    const s = '\x1b]'.repeat(1 << 19) + '\x9b'.repeat(1 << 19);
    expect(filterTerminal(s)).toBe('');
  });
});

describe('guardTerminal', () => {
  it('a TTY stream: every write is filtered (strings and buffers); a pipe is left alone', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    guardTerminal(tty);
    guardTerminal(tty); // idempotent
    tty.write('a\x1b]2;PWNED\x07b\x1b[31mc\n');
    tty.write(Buffer.from('d\x9b2Je'));
    await new Promise<void>((r) => tty.write('', () => r()));
    expect((tty as unknown as PassThrough).read().toString()).toBe('ab\x1b[31mc\nde');

    const pipe = new PassThrough() as unknown as NodeJS.WriteStream;
    guardTerminal(pipe);
    pipe.write('a\x1b]2;x\x07');
    expect((pipe as unknown as PassThrough).read().toString()).toBe('a\x1b]2;x\x07');
  });
});
