// The screen's output stage: the frames it composes are Ink's frames, cell for cell (the same
// character and the same styles in every cell), for the whole screen at 80x24 and 160x48; what
// it cannot compose it hands to Ink; its width cache stays bounded. Rows cut here (FittedRow,
// TextLines given a width) are Ink's rows. Chalk is forced to emit styles (FORCE_COLOR is read when
// chalk is first imported, hence vi.hoisted), so the styles are compared too.
import { EventEmitter } from 'node:events';
import React from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
vi.hoisted(() => {
  process.env.FORCE_COLOR = '3';
  // Ink writes no frame until it exits when it believes it runs in CI (is-in-ci reads CI at
  // import); the screen tells it it does not (cli.ts), so does this test, whatever runs it.
  process.env.CI = 'false';
});
import { render } from 'ink';
import fc from 'fast-check';
import stringWidth from 'string-width';
import textWidth from '../../src/ui/text-width.js';
import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { App } from '../../src/ui/components/App.js';
import { StoreContext } from '../../src/ui/store-context.js';
import { ThemeContext } from '../../src/ui/theme.js';
import { loadPanes, PanesProvider } from '../../src/ui/panes.js';
import {
  cachedWidth,
  composeFrame,
  fitWidth,
  installOutputStage,
  stageStats,
  uninstallOutputStage,
  widthCacheSize,
  WIDTH_CACHE_LIMIT,
} from '../../src/ui/output-stage.js';
import { execEvent, fixtureStore, openEvent, FIXTURE_CATALOGUE } from './fixtures.js';
import { renderWith, tick } from './render.js';
import { Box, Text } from 'ink';
import { FittedRow, type Segment } from '../../src/ui/components/FittedRow.js';
import { TextLines } from '../../src/ui/components/TextLines.js';
import type { Line } from '../../src/ui/lines/lines.js';

const panes = await loadPanes(FIXTURE_CATALOGUE);

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  isTTY = true;
  write(s: string): boolean {
    this.frames.push(s);
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  setRawMode(): void {}
  setEncoding(): void {}
  ref(): void {}
  unref(): void {}
  read(): null {
    return null;
  }
}

/** The screen's last frame (Ink's debug mode writes each frame whole) at columns x rows. */
async function frameAt(columns: number, rows: number, focus?: string): Promise<string> {
  const store = fixtureStore();
  // Feed lines with wide characters (two cells each) and a combining mark.
  store.getState().appendFeed('open', [openEvent({ comm: '日本語', path: '/tmp/文件-é' }), openEvent()]);
  store.getState().appendFeed('exec', [execEvent({ comm: 'réseau' })]);
  if (focus) store.getState().setFocus(focus as 'offcpu');
  const out = new FakeStdout(columns, rows);
  const ink = render(
    React.createElement(
      ThemeContext.Provider,
      { value: { color: true } },
      React.createElement(
        StoreContext.Provider,
        { value: store },
        React.createElement(PanesProvider, { panes }, React.createElement(App, { onQuit: () => {} })),
      ),
    ),
    {
      stdout: out as unknown as NodeJS.WriteStream,
      stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    },
  );
  await tick(50);
  ink.unmount();
  const frame = out.frames.filter((f) => f.includes('\n')).at(-1) ?? '';
  return frame;
}

/** Each row as cells: the character and its styles (as a sorted list of SGR codes), trailing blanks dropped. */
function cells(frame: string): string[][] {
  return frame.split('\n').map((row) => {
    const chars = styledCharsFromTokens(tokenize(row)).map(
      (c) =>
        `${c.value}|${c.styles
          .map((s) => s.code)
          .sort()
          .join(',')}`,
    );
    while (chars.length && chars[chars.length - 1] === ' |') chars.pop();
    return chars;
  });
}

afterEach(() => uninstallOutputStage());

describe('output stage', () => {
  for (const [w, h, focus] of [
    [80, 24, undefined],
    [80, 24, 'open'],
    [160, 48, undefined],
    [160, 48, 'profile'],
  ] as const) {
    it(`composes Ink's frame cell for cell at ${w}x${h}${focus ? ` (${focus} focused)` : ''}`, async () => {
      const inks = await frameAt(w, h, focus);
      expect(await installOutputStage()).toBe(true);
      const before = { ...stageStats };
      const ours = await frameAt(w, h, focus);
      expect(stageStats.composed).toBeGreaterThan(before.composed); // this stage drew it, Ink did not
      expect(stageStats.fallback).toBe(before.fallback);
      expect(ours.split('\n').length).toBe(h);
      expect(cells(ours)).toEqual(cells(inks));
      if (w === 160 || focus === 'open') expect(inks).toContain('日本語'); // the wide characters were on screen
    });
  }

  it('hands a frame with a horizontal clip or overlapping writes to Ink', () => {
    const write = (x: number, y: number, text: string) => ({ type: 'write' as const, x, y, text, transformers: [] });
    expect(composeFrame(10, 2, [write(0, 0, 'ab'), write(4, 0, 'cd'), write(1, 1, '│')])).toBe('ab  cd\n │');
    expect(composeFrame(10, 1, [write(0, 0, 'abc'), write(2, 0, 'x')])).toBeNull();
    expect(composeFrame(4, 1, [write(2, 0, 'abc')])).toBeNull();
    expect(composeFrame(10, 1, [{ type: 'clip', clip: { x1: 0, x2: 5 } }, write(0, 0, 'abc'), { type: 'unclip' }])).toBeNull();
    // A vertical clip keeps the rows inside it only.
    expect(composeFrame(5, 4, [{ type: 'clip', clip: { y1: 1, y2: 3 } }, write(0, 0, 'a\nb\nc\nd'), { type: 'unclip' }])).toBe('\nb\nc\n');
  });

  it('keeps its width cache bounded whatever it is given', () => {
    for (let i = 0; i < WIDTH_CACHE_LIMIT * 3; i++) expect(cachedWidth(`line ${i} 日`)).toBe(`line ${i} `.length + 2);
    expect(widthCacheSize()).toBeLessThanOrEqual(WIDTH_CACHE_LIMIT);
    expect(widthCacheSize()).toBeGreaterThan(0);
  });

  it('measures any text as string-width does (one-cell text by its length, the rest by string-width), here and in what Ink is given', () => {
    const chars = fc.oneof(
      fc.constantFrom(
        ' ',
        'a',
        '~',
        '\x1b',
        '\x7f',
        '\t',
        '日',
        '\u0301',
        '👍',
        '\x1b[1m',
        '\x1b[38;5;10m',
        '\x1b[0m',
        '\x1b[12345m',
        '\x1b[;m',
        '\x1b]8;;x\x07',
        '\x9b1m',
        '…',
        'µ',
        '\u00ad',
        '│',
        '▁',
        '▶',
        '\ufe0f',
        '\u200d',
        '◽',
        '↔',
        '≤',
        '⃣',
        '#',
      ),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 20 }),
        (parts) => cachedWidth(parts.join('')) === stringWidth(parts.join('')) && textWidth(parts.join('')) === stringWidth(parts.join('')),
      ),
      { numRuns: 3000 },
    );
    // fitWidth's shortcuts (a one-cell string cut by slicing, a one-cell grapheme by its length)
    // cut as measuring each grapheme with string-width does.
    const graphemes = new Intl.Segmenter();
    const reference = (t: string, columns: number): string => {
      if (stringWidth(t) <= columns) return t;
      if (columns <= 0) return '';
      if (columns === 1) return '…';
      let out = '';
      let w = 0;
      for (const { segment } of graphemes.segment(t)) {
        const g = stringWidth(segment);
        if (w + g > columns - 1) break;
        out += segment;
        w += g;
      }
      return `${out}…`;
    };
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 20 }),
        fc.integer({ min: 0, max: 30 }),
        (parts, columns) => fitWidth(parts.join(''), columns) === reference(parts.join(''), columns),
      ),
      { numRuns: 3000 },
    );
  });
});

describe('TextLines given its width', () => {
  const lines: Line[] = [
    { text: 'HEADING  PID  COMM', kind: 'heading' },
    { text: 'a line that is much too long for the twenty columns it has', kind: 'text' },
    { text: 'x日本語のファイル名はとても長いです', kind: 'highlight' },
    { text: '', kind: 'text' },
    { text: 'dim and short', kind: 'dim' },
    { text: 'exactly twenty cols!', kind: 'text' },
  ];
  it('lays out and cuts each line as Ink does for <Text wrap="truncate">, cell for cell', () => {
    const store = fixtureStore();
    const at = (width?: number) => {
      const r = renderWith(store, React.createElement(Box, { width: 20, flexDirection: 'column' }, React.createElement(TextLines, { lines, width })));
      const f = r.lastFrame() ?? '';
      r.unmount();
      return f;
    };
    const inks = at(undefined);
    const ours = at(20);
    expect(cells(ours)).toEqual(cells(inks));
    expect(ours).toContain('…');
  });

  it("never passes its width with wide characters (where Ink's cut can take one cell more)", () => {
    for (let w = 1; w < 12; w++) expect(cachedWidth(fitWidth('日本語のファイル名', w))).toBeLessThanOrEqual(w);
  });

  it('fitWidth: unchanged when it fits, else cut to columns − 1 cells and "…"', () => {
    expect(fitWidth('abc', 3)).toBe('abc');
    expect(fitWidth('abcd', 3)).toBe('ab…');
    expect(fitWidth('日本語', 4)).toBe('日…');
    expect(cachedWidth(fitWidth('日本語x', 5))).toBeLessThanOrEqual(5);
    expect(fitWidth('abc', 0)).toBe('');
  });
});

describe('FittedRow', () => {
  const segs: Segment[] = [
    { text: 'Off-CPU maxima', bold: true },
    { text: ' [failed]', color: 'red' },
    { text: '   1064ns/run 143 runs/s', dimColor: true },
    { text: ' live', inverse: true, bold: true, color: 'yellow' },
  ];
  const nested = (w: number) =>
    React.createElement(
      Box,
      { width: w },
      React.createElement(
        Text,
        { wrap: 'truncate' },
        ...segs.map((s, i) => React.createElement(Text, { key: i, bold: s.bold, inverse: s.inverse, dimColor: s.dimColor, color: s.color }, s.text)),
      ),
    );
  const fitted = (w: number) => React.createElement(Box, { width: w }, React.createElement(FittedRow, { width: w, segments: segs }));
  for (const w of [80, 52, 30, 14, 2, 1]) {
    it(`is Ink's nested <Text wrap="truncate">, styles included, at ${w} columns`, () => {
      const store = fixtureStore();
      const a = renderWith(store, nested(w));
      const b = renderWith(store, fitted(w));
      const inks = a.lastFrame() ?? '';
      const ours = b.lastFrame() ?? '';
      a.unmount();
      b.unmount();
      if (w > 1) expect(ours).toContain('\x1b['); // styles are on: they are compared
      expect(cells(ours)).toEqual(cells(inks));
    });
  }
});
