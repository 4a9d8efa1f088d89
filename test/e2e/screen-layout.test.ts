// The real perfscope in a real terminal (tmux, own socket "screen-..."): at 80x24, 100x30,
// 120x36, 132x43, 160x48 and 200x60, on an idle host and with exec, open and TCP traffic, the
// captured screen is whole: the header first, the status line last, every row of the body in
// exactly one pane frame (or a fold line), each frame's borders on every one of its rows (text
// drawn over text breaks them), every pane's title row intact and naming a pane; with traffic at
// most 10 % of the terminal's rows are blank pane interiors. Then the mouse (SGR reports typed
// into the terminal: a click on a column header sorts, a click focuses, the wheel scrolls back a
// feed), mouse reporting off again on exit, --no-mouse; and the saved configuration's round trip
// (change, quit, start again: the same screen), a malformed one (one line, the defaults, the
// file unchanged).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noBpf } from '../helpers/bpf.js';
import { PROMPT_RE, TmuxSession, alive, sleep, statusSays, waitExit } from './tmux.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { EXEC_LINES } from '../../src/ui/lines/exec-lines.js';
import { OPEN_LINES } from '../../src/ui/lines/open-lines.js';
import { TCP_LINES } from '../../src/ui/lines/tcp-lines.js';

/** The column header under a feed's title (text drawn over it, as "no event yetM  PID KIND", breaks it). */
const FEED_HEADERS: Readonly<Record<string, string>> = { exec: EXEC_LINES.header, open: OPEN_LINES.header, tcp: TCP_LINES.header };

const SIZES = [
  [80, 24],
  [100, 30],
  [120, 36],
  [132, 43],
  [160, 48],
  [200, 60],
] as const;
const TITLES = ['Overview', ...SCREEN_CATALOGUE.map((s) => s.title)];
const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
const MOUSE_OFF = '\x1b[?1006l\x1b[?1000l';

let session: TmuxSession | null = null;
let perfscope = 0;
let stopTraffic: (() => void) | null = null;

afterEach(() => {
  stopTraffic?.();
  stopTraffic = null;
  if (perfscope && alive(perfscope)) process.kill(perfscope, 'SIGKILL');
  perfscope = 0;
  session?.kill();
  session = null;
});

/** exec, open and TCP connections on the host, ~20 a second each, until stopped. */
function traffic(): () => void {
  const server = net.createServer((c) => c.end()).listen(0, '127.0.0.1');
  const t = setInterval(() => {
    spawn('/bin/true').on('error', () => {});
    try {
      closeSync(openSync('/etc/hostname', 'r'));
    } catch {
      /* counted or not, it was opened */
    }
    const addr = server.address();
    if (addr && typeof addr === 'object') {
      const c = net.connect(addr.port, '127.0.0.1');
      c.on('error', () => {});
      c.on('connect', () => c.end());
    }
  }, 50);
  return () => {
    clearInterval(t);
    server.close();
  };
}

const cellsOf = (line: string, columns: number) => {
  const cs = [...line];
  while (cs.length < columns) cs.push(' ');
  return cs;
};

interface Shape {
  readonly problems: string[];
  /** Blank pane-interior rows, in terminal rows (a half-width blank row counts half). */
  readonly blankRows: number;
  readonly titles: string[];
}

/** The screen's shape as captured: what is wrong with it, how much of it is blank pane interior. */
function shape(screen: string, columns: number, rows: number): Shape {
  const lines = screen.replace(/\n$/, '').split('\n');
  const problems: string[] = [];
  const titles: string[] = [];
  let blank = 0;
  if (lines.length !== rows) problems.push(`${lines.length} rows captured, not ${rows}`);
  if (!/pin (all|CPU)/.test(lines[0] ?? '')) problems.push('no header on the first row');
  if (/^[╭│╰]/.test(lines[rows - 1] ?? '')) problems.push('no status line on the last row');
  const grid = columns >= 120 && rows >= 36;
  const top = grid ? 1 : 2;
  if (!grid && !(lines[1] ?? '').includes('Tab ⇆')) problems.push('no tab row');
  // Column spans: the grid's columns start where the first body row has a top-left corner.
  const first = cellsOf(lines[top] ?? '', columns);
  const starts = grid ? first.flatMap((c, i) => (c === '╭' && (i === 0 || first[i - 1] === '╮') ? [i] : [])) : [0];
  if (starts[0] !== 0) problems.push('the body does not start with a pane');
  const spans = starts.map((x, i) => [x, (starts[i + 1] ?? columns) - x] as const);
  for (const [x, w] of spans) {
    const seg = (y: number) => cellsOf(lines[y] ?? '', columns).slice(x, x + w);
    let y = top;
    while (y < rows - 1) {
      const s = seg(y);
      const text = s.join('');
      if (/^\+\d+ more: /.test(text)) {
        y++;
        continue;
      }
      if (s[0] !== '╭' || s[w - 1] !== '╮') {
        problems.push(`row ${y}, column ${x}: not the top of a pane: ${text.trimEnd()}`);
        break;
      }
      let end = y + 1;
      while (end < rows - 1 && seg(end)[0] === '│' && seg(end)[w - 1] === '│') end++;
      const bottom = seg(end);
      if (end >= rows - 1 || bottom[0] !== '╰' || bottom[w - 1] !== '╯') {
        problems.push(`row ${end}, column ${x}: a pane's border is broken: ${bottom.join('').trimEnd()}`);
        break;
      }
      const title = seg(y + 1)
        .slice(1, w - 1)
        .join('')
        .replace(/^▶ /, '')
        .trim();
      if (!TITLES.some((t) => title.startsWith(t))) problems.push(`row ${y + 1}, column ${x}: no pane title: ${title}`);
      titles.push(title);
      const feedHeader = FEED_HEADERS[title.split(' ')[0]];
      if (feedHeader && end > y + 2) {
        const row = seg(y + 2)
          .slice(1, w - 1)
          .join('');
        const want = feedHeader.slice(0, Math.min(20, w - 2)).trimEnd();
        if (!row.startsWith(want) && !row.startsWith('filter /'))
          problems.push(`row ${y + 2}, column ${x}: the ${title} header is not whole: ${row.trimEnd()}`);
      }
      for (let k = y + 2; k < end; k++)
        if (
          seg(k)
            .slice(1, w - 1)
            .join('')
            .trim() === ''
        )
          blank += w / columns;
      y = end + 1;
    }
    if (y > rows - 1) problems.push(`column ${x}: the panes run past the body`);
  }
  return { problems, blankRows: blank, titles };
}

async function launch(columns: number, rows: number, args: string[] = [], s = new TmuxSession(columns, rows, {}, 'screen')): Promise<TmuxSession> {
  session = s;
  await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
  s.start(args);
  perfscope = await s.perfscopePid();
  await s.waitScreen((x) => statusSays(x, 'offcpu', 'on') && statusSays(x, 'exec', 'on'), 'the probes on', 45_000);
  return s;
}

async function quit(s: TmuxSession): Promise<void> {
  s.keys('q');
  expect(await waitExit(perfscope)).toBe(true);
  await s.waitScreen((x) => PROMPT_RE.test(x) && s.display('#{alternate_on}') === '0', 'the shell back', 15_000);
}

/** Resize, then wait for a whole screen of that size (and check the next frames are whole too). */
async function wholeAt(s: TmuxSession, columns: number, rows: number, busy: boolean): Promise<Shape> {
  s.tmux('resize-window', '-t', 't', '-x', String(columns), '-y', String(rows));
  const ok = (x: string) => {
    const sh = shape(x, columns, rows);
    return sh.problems.length === 0 && (!busy || sh.blankRows <= 0.1 * rows);
  };
  await s.waitScreen(ok, `a whole ${columns}x${rows} screen${busy ? ' with at most 10% blank rows' : ''}`, 20_000);
  await sleep(1500);
  const screen = s.capture();
  const sh = shape(screen, columns, rows);
  expect(sh.problems, `${columns}x${rows}:\n${screen}`).toEqual([]);
  if (busy) expect(sh.blankRows, `${columns}x${rows} blank rows:\n${screen}`).toBeLessThanOrEqual(0.1 * rows);
  console.log(`${columns}x${rows}${busy ? ' with traffic' : ' idle'}: ${sh.titles.length} panes, ${sh.blankRows.toFixed(1)} blank pane rows of ${rows}`);
  return sh;
}

describe.skipIf(noBpf)('the screen at every size, idle and busy', () => {
  it('80x24 .. 200x60: no text over text, titles intact; with traffic at most 10% blank pane rows', async () => {
    const s = await launch(80, 24);
    for (const [c, r] of SIZES) await wholeAt(s, c, r, false);
    stopTraffic = traffic();
    await sleep(3000);
    const seen = new Set<string>();
    for (const [c, r] of SIZES) for (const t of (await wholeAt(s, c, r, true)).titles) seen.add(t.split(' ')[0]);
    // The grid shows every pane (or names it on a fold line).
    expect([...seen]).toEqual(expect.arrayContaining(['Overview', 'Off-CPU', 'Run-queue', 'exec', 'open', 'Counters']));
    await quit(s);
  });
});

describe.skipIf(noBpf)('the mouse in a terminal', () => {
  it('a click on a column header sorts, a click focuses, the wheel scrolls a feed back; reporting is off again after q', async () => {
    const s = await launch(160, 48);
    stopTraffic = traffic();
    const screen = await s.waitScreen((x) => /COMM +MAX▼/.test(x), 'the off-CPU header marked');
    const lines = screen.split('\n');
    const y = lines.findIndex((l) => /COMM +MAX▼/.test(l));
    const x = [...lines[y]].join('').indexOf('TOTAL');
    s.type(`\x1b[<0;${x + 2};${y + 1}M\x1b[<0;${x + 2};${y + 1}m`);
    await s.waitScreen((t) => t.includes('TOTAL▼') && !t.includes('MAX▼'), 'sorted by TOTAL');
    // The wheel over the exec feed: scrolled back, its title says how far.
    const now = s.capture().split('\n');
    const execRow = now.findIndex((l) => /^│(▶ )?exec/.test(l));
    expect(execRow).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) s.type(`\x1b[<64;10;${execRow + 4}M`);
    await s.waitScreen((t) => /exec \(\d+ back, End: live\)/.test(t), 'the exec feed scrolled back');
    s.type(`\x1b[<0;10;${execRow + 2}M`);
    await s.waitScreen((t) => t.includes('▶ exec'), 'exec focused by a click');
    s.keys('End');
    await s.waitScreen((t) => !/\d+ back, End: live/.test(t), 'live again');
    await quit(s);
    const raw = s.raw().toString('latin1');
    expect(raw.indexOf(MOUSE_ON)).toBeGreaterThanOrEqual(0);
    expect(raw.lastIndexOf(MOUSE_OFF)).toBeGreaterThan(raw.lastIndexOf(MOUSE_ON));
  });
  it('--no-mouse: never asks for reports; SIGTERM turns reporting off as q does', async () => {
    let s = await launch(120, 36, ['--no-mouse']);
    await quit(s);
    expect(s.raw().toString('latin1')).not.toContain(MOUSE_ON);
    s.kill();
    session = null;
    s = await launch(120, 36);
    process.kill(perfscope, 'SIGTERM');
    expect(await waitExit(perfscope)).toBe(true);
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell back', 15_000);
    const raw = s.raw().toString('latin1');
    expect(raw.lastIndexOf(MOUSE_OFF)).toBeGreaterThan(raw.lastIndexOf(MOUSE_ON));
  });
});

describe.skipIf(noBpf)('the saved configuration', () => {
  it('change, quit, start again: the same screen; a malformed file: one line, the defaults, the file unchanged', async () => {
    const s = await launch(160, 48);
    const file = path.join(s.dir, 'config', 'perfscope', 'perfscope.conf');
    // The latency layout, then the off-CPU table by PID ascending.
    s.keys('p');
    await s.waitScreen((x) => x.includes('Off-CPU maxima') && !x.includes('Counters (/proc)') && !x.includes('│exec'), 'the latency layout');
    s.keys('>');
    await sleep(200);
    s.keys('>'); // MAX -> TOTAL -> RET
    await s.waitScreen((x) => x.includes('RET▼'), 'sorted by RET');
    s.keys('I');
    await s.waitScreen((x) => x.includes('RET▲'), 'ascending');
    const before = s.capture();
    await quit(s);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/preset: latency/);
    // Started again: the same layout, the same sort.
    s.start([]);
    perfscope = await s.perfscopePid();
    const again = await s.waitScreen((x) => x.includes('RET▲') && statusSays(x, 'offcpu', 'on'), 'the same screen again', 45_000);
    expect(again).not.toContain('Counters (/proc)');
    const panesOf = (x: string) => shape(x, 160, 48).titles.map((t) => t.split(' ')[0]);
    expect(panesOf(again)).toEqual(panesOf(before));
    await quit(s);
    // A malformed file: one line on the status line, the defaults, the file left as it was.
    const bad = 'version: 1\ninterval: [oops\n';
    writeFileSync(file, bad);
    s.start([]);
    perfscope = await s.perfscopePid();
    const def = await s.waitScreen((x) => x.includes('Counters (/proc)') && x.includes('not valid YAML'), 'the defaults and the one line', 45_000);
    expect(def.split('\n').filter((l) => l.includes('not valid YAML')).length).toBe(1);
    await quit(s);
    expect(readFileSync(file, 'utf8')).toBe(bad);
  });
});
