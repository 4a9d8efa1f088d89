// The frame differ: applied to the previous screen, its output must give exactly the next
// frame. A small terminal model interprets what it writes (CUP, EL 2, CUF, ED 2, DECSTBM, SU).
import { describe, expect, it } from 'vitest';
import { CLEAR_TERMINAL, compactRow, diffFrame, findScroll, frameDiffingStdout, type FrameStats } from '../../src/ui/frame-writer.js';

const W = 20;

function apply(screen: string[], out: string): string[] {
  const s = screen.map((r) => r.padEnd(W).split(''));
  let row = 0;
  let col = 0;
  let top = 0;
  let bottom = s.length - 1;
  let i = 0;
  while (i < out.length) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
    const m = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(out.slice(i));
    if (m) {
      const ps = m[1] === '' ? [] : m[1].split(';').map(Number);
      switch (m[2]) {
        case 'H':
          row = (ps[0] ?? 1) - 1;
          col = (ps[1] ?? 1) - 1;
          break;
        case 'K':
          expect(ps[0]).toBe(2);
          s[row].fill(' ');
          break;
        case 'J':
          for (const r of s) r.fill(' ');
          break;
        case 'C':
          col += ps[0] ?? 1;
          break;
        case 'r':
          top = ps.length ? ps[0] - 1 : 0;
          bottom = ps.length ? ps[1] - 1 : s.length - 1;
          row = col = 0;
          break;
        case 'S':
          for (let k = 0; k < (ps[0] ?? 1); k++) {
            s.splice(top, 1);
            s.splice(bottom, 0, new Array(W).fill(' '));
          }
          break;
        default:
          throw new Error(`unexpected escape ${JSON.stringify(m[0])}`);
      }
      i += m[0].length;
      continue;
    }
    const c = out[i++];
    if (c === '\r') col = 0;
    else if (c === '\n') row++;
    else s[row][col++] = c;
  }
  return s.map((r) => r.join('').trimEnd());
}

const frame = (rows: string[]) => rows.map((r) => r.trimEnd());

describe('diffFrame', () => {
  it('first frame and size changes repaint in full; then only changed rows are written', () => {
    const a = ['header 1', 'x', 'y', 'status'];
    const b = ['header 2', 'x', 'y', 'status'];
    const screen = apply(['', '', '', ''], diffFrame(null, a));
    expect(screen).toEqual(frame(a));
    const d = diffFrame(a, b);
    expect(d).toBe('\x1b[1;1H\x1b[2Kheader 2');
    expect(apply(screen, d)).toEqual(frame(b));
    expect(diffFrame(a, a)).toBe('');
  });

  it('a scrolled feed becomes a scroll region plus the new rows', () => {
    const feed = (from: number) => Array.from({ length: 8 }, (_, i) => `ev ${from + i}`);
    const a = ['head', ...feed(0), 'status'];
    const b = ['head', ...feed(2), 'status'];
    expect(findScroll(a, b)).toEqual({ top: 1, bottom: 6, k: 2 });
    const d = diffFrame(a, b);
    expect(d).toContain('\x1b[2;9r\x1b[2S\x1b[r');
    expect(d).not.toContain('ev 5');
    expect(apply(frame(a), d)).toEqual(frame(b));
  });

  it('random edits and scrolls always give the next frame', () => {
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let prev = Array.from({ length: 12 }, (_, i) => `row ${i}`);
    let screen = apply(new Array(12).fill(''), diffFrame(null, prev));
    for (let step = 0; step < 300; step++) {
      let next = [...prev];
      if (rnd(2)) {
        const k = 1 + rnd(3);
        const top = rnd(4);
        const bottom = 11 - rnd(3);
        next = [
          ...prev.slice(0, top),
          ...prev.slice(top + k, bottom + 1),
          ...Array.from({ length: k }, (_, j) => `new ${step}.${j}`),
          ...prev.slice(bottom + 1),
        ];
      }
      for (let e = rnd(3); e > 0; e--) next[rnd(12)] = `edit ${step}${' '.repeat(rnd(8))}x`;
      screen = apply(screen, diffFrame(prev, next));
      expect(screen).toEqual(frame(next));
      prev = next;
    }
  });
});

describe('compactRow', () => {
  it('turns long blank runs into cursor moves, except where blanks are painted', () => {
    expect(compactRow('│a          b│')).toBe('│a\x1b[10Cb│');
    expect(compactRow('ab     ')).toBe('ab');
    expect(compactRow('a  b')).toBe('a  b');
    expect(compactRow('\x1b[7m1         x\x1b[27m')).toBe('\x1b[7m1         x\x1b[27m');
  });
});

describe('frameDiffingStdout', () => {
  it("turns Ink's clear-and-repaint writes into row diffs; other writes pass through", () => {
    const written: string[] = [];
    const fake = { columns: 20, rows: 3, isTTY: true, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
    const stats: FrameStats = { frames: 0, bytes: 0 };
    const out = frameDiffingStdout(fake, stats);
    expect(out.columns).toBe(20);
    out.write('\x1b[?25l');
    out.write(`${CLEAR_TERMINAL}a\nb\nc`);
    out.write(`${CLEAR_TERMINAL}a\nB\nc`);
    expect(written).toEqual(['\x1b[?25l', '\x1b[H\x1b[2Ja\r\nb\r\nc', '\x1b[2;1H\x1b[2KB']);
    out.write('text from elsewhere');
    out.write(`${CLEAR_TERMINAL}a\nB\nc`);
    expect(written[written.length - 1]).toBe('\x1b[H\x1b[2Ja\r\nB\r\nc');
    expect(stats.frames).toBe(3);
  });
});
