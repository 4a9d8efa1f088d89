// Pure model functions of the screen: safe(), layout, tables, feed lines, status, header.
import { describe, expect, it } from 'vitest';
import { safe, hasControl } from '../../src/ui/safe.js';
import { computeLayout as layoutOf, isFold, splitRows, MIN_COLUMNS, MIN_ROWS, type PaneNeed } from '../../src/ui/layout.js';
import type { ScreenCatalogue } from '../../src/views/view.js';
import { fitColumns, renderTable, type Column } from '../../src/ui/lines/table.js';
import { feedView } from '../../src/ui/lines/feed-lines.js';
import { EXEC_LINES, execLine } from '../../src/ui/lines/exec-lines.js';
import { OPEN_LINES, openLine } from '../../src/ui/lines/open-lines.js';
import { tcpLine } from '../../src/ui/lines/tcp-lines.js';
import { statusSegments, STATUS_HINT, STATUS_SEPARATOR } from '../../src/ui/lines/status.js';
import { headerText, fmtUptime } from '../../src/ui/lines/header.js';
import { offcpuTable } from '../../src/ui/lines/offcpu-table.js';
import { countersLines, fmtKb, fmtNum } from '../../src/ui/lines/proc-lines.js';
import { probeNames, type ProbeName } from '../../src/catalogue/catalogue.js';
import type { ProbeHealth } from '../../src/probes/types.js';
import { countersSample, execEvent, offcpuSample, openEvent, tcpEvent, RAW_CONTROL, FIXTURE_CATALOGUE } from './fixtures.js';

describe('safe', () => {
  it('replaces C0, ESC, DEL, C1, bidi overrides and lone surrogates; keeps printable text', () => {
    expect(safe('a\x1b]0;x\x07b')).toBe('a\\e]0;x\\ab');
    expect(safe('\x00\x01\x7f')).toBe('\\x00\\x01\\u{7f}');
    expect(safe('\u009b2J')).toBe('\\u{9b}2J');
    expect(safe('\u202eevil\u2066')).toBe('\\u{202e}evil\\u{2066}');
    expect(safe('\ud800')).toBe('\\u{d800}');
    expect(safe('café 日本 \\e already')).toBe('café 日本 \\e already');
    expect(safe('😀')).toBe('😀');
    expect(safe(null)).toBe('');
    expect(safe(42)).toBe('42');
    for (let cp = 0; cp < 0xa0; cp++) {
      const out = safe(`<${String.fromCodePoint(cp)}>`);
      expect(hasControl(out)).toBe(false);
      expect(out).not.toMatch(RAW_CONTROL);
    }
  });
});

/** Every pane of a catalogue (the overview on top of the right column), each wanting its minimum and growing. */
const needsOf = (cat: ScreenCatalogue): PaneNeed[] => [
  { pane: 'overview', column: 1, row: -1, weight: 2, want: 4, grows: true },
  ...cat.map((s) => ({ pane: s.name, column: s.grid.column, row: s.grid.row, weight: s.grid.weight, want: 4, grows: true })),
];
const computeLayout = (c: number, r: number, focus: 'offcpu' | 'exec', cat: ScreenCatalogue) => layoutOf(c, r, focus, needsOf(cat));

describe('layout', () => {
  it('too small: one line with the size needed', () => {
    const l = computeLayout(50, 20, 'offcpu', FIXTURE_CATALOGUE);
    expect(l.kind).toBe('too-small');
    if (l.kind === 'too-small') expect(l.message).toContain(`${MIN_COLUMNS}x${MIN_ROWS}`);
    expect(computeLayout(80, MIN_ROWS - 1, 'offcpu', FIXTURE_CATALOGUE).kind).toBe('too-small');
    // The message fits on one line of the terminal it is for, down to 20 columns.
    for (let c = 20; c < MIN_COLUMNS; c++) {
      const t = computeLayout(c, 5, 'offcpu', FIXTURE_CATALOGUE);
      if (t.kind !== 'too-small') throw new Error(`${c}x5 is not too small`);
      expect(t.message.length).toBeLessThanOrEqual(c);
      expect(t.message).toContain(`${MIN_COLUMNS}x${MIN_ROWS}`);
    }
    const tiny = computeLayout(20, 5, 'offcpu', FIXTURE_CATALOGUE);
    expect(tiny.kind === 'too-small' && tiny.message).toBe(`needs ${MIN_COLUMNS}x${MIN_ROWS}, is 20x5`);
  });
  it('80x24: tabs, the focused pane full size', () => {
    const l = computeLayout(80, 24, 'exec', FIXTURE_CATALOGUE);
    expect(l).toEqual({ kind: 'tabs', width: 80, pane: { pane: 'exec', width: 80, height: 21 }, below: [] });
  });
  it('160x48: every pane at once, the heights add up, the widths add up', () => {
    const l = computeLayout(160, 48, 'exec', FIXTURE_CATALOGUE);
    expect(l.kind).toBe('grid');
    if (l.kind !== 'grid') return;
    const panes = l.columns
      .flat()
      .map((r) => (isFold(r) ? 'fold' : r.pane))
      .sort();
    expect(panes).toEqual(['exec', 'isolation', 'offcpu', 'open', 'overview', 'proc', 'profile', 'runqlat', 'tcp', 'trace']);
    for (const col of l.columns) expect(col.reduce((a, r) => a + r.height, 0)).toBe(46);
    expect(l.columns[0][0].width + l.columns[1][0].width).toBe(160);
  });
  it('splitRows is exact, gives every pane its minimum, then the wants, then the panes that grow', () => {
    const n = (weight: number, want = 4, grows = true) => ({ weight, want, grows });
    expect(splitRows(46, [n(4), n(3), n(3)]).heights.reduce((a, b) => a + b)).toBe(46);
    // A message pane (want 4, not growing) keeps 4; the rest goes to the panes that grow.
    expect(splitRows(30, [n(1, 4, false), n(1, 10), n(1, 4, true)]).heights).toEqual([4, 13, 13]);
    // Wants first: a pane that wants 6 gets 6 before the growing ones share the rest by weight.
    expect(splitRows(20, [n(1, 6, false), n(3, 4, true), n(1, 4, true)]).heights).toEqual([6, 10, 4]);
  });
});

describe('tables', () => {
  const cols: Column<number>[] = [
    { title: 'A', width: 4, priority: 0, get: (n) => String(n) },
    { title: 'B', width: 10, priority: 2, get: () => 'b' },
    { title: 'C', width: 10, priority: 1, grow: true, get: () => 'a long text that is cut' },
  ];
  it('drops the least important columns first and cuts long cells', () => {
    expect(fitColumns(cols, 30).map((c) => c.title)).toEqual(['A', 'B', 'C']);
    expect(fitColumns(cols, 20).map((c) => c.title)).toEqual(['A', 'C']);
    const t = renderTable(cols, [1], 20);
    expect(t.rows[0]).toBe('1    a long text th…'); // C grows to the 15 columns left
  });
  it('offcpu: all rows fit at 80 columns with every JSON column', () => {
    const t = offcpuTable(offcpuSample(), { pinned: null, showIdle: false, width: 78, height: 10 });
    expect(t.header).toMatch(/CPU +PID +TGID COMM +MAX +TOTAL +RET PRMPT PREEMPTED BY/);
    expect(t.rows.length).toBe(3);
    expect(t.header.length).toBeLessThanOrEqual(78);
  });
  it('offcpu: the height is shared between CPUs', () => {
    const rows = [];
    for (let cpu = 0; cpu < 2; cpu++) for (let i = 0; i < 10; i++) rows.push({ ...offcpuSample().rows[0], cpu, pid: 100 * cpu + i, max_us: i });
    const t = offcpuTable({ rows, idle: [], overflow: 0 }, { pinned: null, showIdle: false, width: 78, height: 6 });
    expect(t.rows.length).toBe(6);
    expect(t.rows.filter((r) => /^ {2}[01] /.test(r)).length).toBe(2);
    // Five rows and, honestly, the count of those left out on the last line.
    expect(t.hidden).toBe(15);
    expect(t.rows.at(-1)).toBe('+15 more');
  });
});

describe('feed lines', () => {
  it('one line per event, untrusted fields escaped', () => {
    expect(execLine(execEvent({ argv: ['a\x1bb'] }))).toContain('a\\eb');
    expect(execLine(execEvent({ argv: [''], filename: '/usr/bin/true' }))).toMatch(/ \/usr\/bin\/true$/);
    expect(openLine(openEvent({ path: '/x\x9b' }))).toContain('/x\\u{9b}');
    expect(tcpLine(tcpEvent({ comm: '\u202e' }))).toContain('\\u{202e}');
  });
  it('feedView: newest at the bottom, filtered case-insensitively, bounded by the height', () => {
    const evs = Array.from({ length: 100 }, (_, i) => execEvent({ argv: [i % 2 ? 'Odd' : 'even', String(i)] }));
    const v = feedView(EXEC_LINES, evs, '', 5);
    expect(v.lines.length).toBe(5);
    expect(v.lines[4]).toContain('Odd 99');
    expect(v.matching).toBe(100);
    const f = feedView(EXEC_LINES, evs, 'odd', 3);
    expect(f.lines.map((l) => l.split(' ').pop())).toEqual(['95', '97', '99']);
    expect(f.matching).toBe(50);
  });
  it('an open path too long for the line keeps its end; the filter still sees the whole path', () => {
    const e = openEvent({ path: '/very/long/directory/name/that/does/not/fit/file-42.txt' });
    const line = openLine(e, 60);
    expect([...line].length).toBe(60);
    expect(line).toMatch(/…[^ ]*\/file-42\.txt$/);
    expect(openLine(e)).toContain('/very/long/directory');
    const v = feedView(OPEN_LINES, [e], 'very/long', 5, 60);
    expect(v.matching).toBe(1);
    expect(v.lines[0]).toBe(line);
    expect(feedView(OPEN_LINES, [e], '', 5, 200).lines[0]).toBe(openLine(e));
  });
});

describe('status line', () => {
  const health = {} as Record<ProbeName, ProbeHealth>;
  for (const n of probeNames(FIXTURE_CATALOGUE)) health[n] = { state: 'running', cost: { run_ns: 2000, run_cnt: 4, ns_per_event: 500, lost: 0 } };
  health.proc = { state: 'running' };
  health.open = { state: 'unavailable', reason: 'not built' };
  it('as detailed as fits; never wider than the terminal from 100 columns', () => {
    // (at 80 the names and states of nine running probes take 97 columns: the line is cut at the end)
    for (const w of [100, 120, 200]) {
      const segs = statusSegments(FIXTURE_CATALOGUE, health, { pinned: null, intervalS: 2, width: w });
      const len = segs.reduce((a, s) => a + s.text.length, 0) + STATUS_SEPARATOR.length * (segs.length - 1) + STATUS_HINT.length;
      expect(len <= w || w < 70, `${w}: ${segs.map((s) => s.text).join(STATUS_SEPARATOR)}`).toBe(true);
    }
    expect(statusSegments(FIXTURE_CATALOGUE, health, { pinned: null, intervalS: 2, width: 200 })[0].text).toBe('1 offcpu on 500ns 2/s');
    expect(statusSegments(FIXTURE_CATALOGUE, health, { pinned: null, intervalS: 0, width: 200 })[0].text).toBe('1 offcpu on 500ns 0/s');
  });
  it('when not even every name and state fits, the probes of the commonest state are one segment and the rest stay as detailed as fits', () => {
    const h = { ...health };
    for (const n of ['offcpu', 'runqlat', 'tcp', 'trace', 'isolation'] as const) h[n] = { state: 'off' };
    const segs = statusSegments(FIXTURE_CATALOGUE, h, { pinned: null, intervalS: 2, width: 80 });
    expect(segs.map((s) => s.text)).toEqual(['exec on', 'open n/a', 'proc on', 'profile on', 'off: offcpu runqlat tcp trace isolation']);
    expect(segs[4].state).toBe('off');
    expect(statusSegments(FIXTURE_CATALOGUE, h, { pinned: null, intervalS: 2, width: 100 }).map((s) => s.text)[0]).toBe('3 exec on');
    expect(statusSegments(FIXTURE_CATALOGUE, h, { pinned: null, intervalS: 2, width: 160 }).map((s) => s.text)[2]).toBe('3 exec on 500ns 2/s');
    // All running but one: the running ones are the group, and the line fits 80 columns.
    const all = statusSegments(FIXTURE_CATALOGUE, health, { pinned: null, intervalS: 2, width: 80 });
    expect(all.map((s) => s.text)).toEqual(['4 open n/a', 'on: offcpu runqlat exec tcp proc trace profile isolation']);
  });
});

describe('header and counters', () => {
  it('uptime and header fitting', () => {
    expect(fmtUptime(3 * 86400 + 4 * 3600)).toBe('3d04h');
    expect(fmtUptime(3700)).toBe('1h01m');
    expect(fmtUptime(null)).toBe('-');
    const h = headerText(
      { hostname: 'h', kernel: '6.1.0-27-cloud-amd64', uptimeS: 60, load: [1, 2, 3], cpus: [0, 1, 2, 3], pinned: 2, intervalS: 1, paused: true },
      80,
    );
    expect(h.left.length + h.right.length + 1).toBeLessThanOrEqual(80);
    expect(h.right).toBe('pin CPU 2 │ 1s │ PAUSED');
    expect(h.left).toContain('load 1.00 2.00 3.00');
    // The pinned CPU went offline (hotplug): still pinned, marked, and the CPU list is the online one.
    const off = headerText({ hostname: 'h', kernel: 'k', uptimeS: 60, load: null, cpus: [0, 2, 3], pinned: 1, intervalS: 1, paused: false }, 80);
    expect(off.right).toBe('pin CPU 1 offline │ 1s │ live');
    expect(off.left).toContain('cpus 0,2-3');
  });
  it('number formats', () => {
    expect(fmtNum(0)).toBe('0');
    expect(fmtNum(1145.48)).toBe('1.1K');
    expect(fmtNum(null)).toBe('-');
    expect(fmtKb(2_000_000)).toBe('1.9G');
    expect(fmtKb(19388)).toBe('19M');
  });
  it('counters fit the height exactly, pinned row highlighted, top on the pinned CPU', () => {
    const c = countersSample({ top_on_pinned: [{ pid: 9, comm: 'pinnedproc', usr: 1, system: 1, cpu_pct: 2, cpu: 1 }], pinned_cpu: 1 });
    for (const h of [5, 10, 18, 40]) expect(countersLines(c, { width: 78, height: h, pinned: 1 }).length).toBeLessThanOrEqual(h);
    const lines = countersLines(c, { width: 78, height: 18, pinned: 1 });
    expect(lines.find((l) => l.kind === 'highlight')?.text).toMatch(/^1 /);
    expect(lines.map((l) => l.text).join('\n')).toContain('pinnedproc');
  });
});
