// The habits of htop and btop on the screen: sort any table by any column (< > F6 I, a click on
// its header), layout presets (p), panes hidden and shown (h, v) whether or not their probe
// runs, a feed scrolled back (it stays put, its title says how far, End returns), the mouse
// (SGR reports written to the screen's stdin). Driven through the real keyboard dispatcher and
// the App rendered by Ink (ink-testing-library: 100 columns, the tabs layout).
import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/components/App.js';
import { handleInput } from '../../src/ui/keys.js';
import { columnAt, handleMouse, parseMouse } from '../../src/ui/mouse.js';
import { offcpuRowOrder } from '../../src/views/offcpu.js';
import { paneSample, rowValues, shownPanes, sortOf, type AppStore } from '../../src/store/store.js';
import type { TraceSample } from '../../src/probes/trace-spec.js';
import { execEvent, fixtureStore, offcpuSample } from './fixtures.js';
import { renderWith, stripSgr, tick } from './render.js';

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await tick(10);
}

const key = (s: AppStore, input: string, k: Parameters<typeof handleInput>[2] = {}) => handleInput(s.getState, input, k, { columns: 160, rows: 48 });
/** An SGR mouse press (1-based cell, as the terminal sends it) and its release. */
const click = (x: number, y: number, button = 0) => `\x1b[<${button};${x};${y}M`;

describe('sort', () => {
  it('< > and F6 choose the column of the focused table, I inverts; the row order and the selection follow', () => {
    const s = fixtureStore();
    s.getState().setFocus('offcpu');
    expect(sortOf(s.getState(), 'offcpu')).toEqual({ column: 'MAX', descending: true });
    key(s, '>');
    expect(sortOf(s.getState(), 'offcpu')?.column).toBe('TOTAL');
    key(s, '<');
    key(s, '<');
    expect(sortOf(s.getState(), 'offcpu')?.column).toBe('COMM');
    key(s, 'I');
    expect(sortOf(s.getState(), 'offcpu')).toEqual({ column: 'COMM', descending: false });
    // The rows the user selects are in the table's order: by name within each CPU.
    const sample = offcpuSample();
    const want = offcpuRowOrder(sample, null, false, { column: 'COMM', descending: false }).map((r) => `${r.cpu}:${r.pid}`);
    expect(rowValues(s.getState(), 'offcpu')).toEqual(want);
    const cpu0 = sample.rows.filter((r) => r.cpu === 0).map((r) => r.comm);
    expect(want.filter((id) => id.startsWith('0:')).map((id) => sample.rows.find((r) => `0:${r.pid}` === id)!.comm)).toEqual([...cpu0].sort());
    // F6 (ESC [ 17 ~, taken from Ink's stream of sequences) is the next column.
    key(s, '\x1b[17~');
    expect(sortOf(s.getState(), 'offcpu')?.column).toBe('MAX');
  });
  it('the tracepoint rows and the counters top table sort too; the removed row is the one selected in the sorted order', () => {
    const s = fixtureStore();
    s.getState().setFocus('trace');
    key(s, '<'); // COUNT -> RATE
    key(s, '<'); // RATE -> COST
    key(s, '<'); // COST -> TRACEPOINT
    key(s, 'I'); // ascending by name
    const ids = (paneSample(s.getState(), 'trace') as TraceSample).tracepoints.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(rowValues(s.getState(), 'trace')).toEqual(ids);
    s.getState().setFocus('proc');
    key(s, '<'); // %CPU -> COMM
    const top = (paneSample(s.getState(), 'proc') as { top: { comm: string }[] }).top.map((r) => r.comm);
    expect(top).toEqual([...top].sort().reverse());
  });
  it('the sort column is marked in the header on screen, and a click on a header sorts by that column', async () => {
    const s = fixtureStore();
    s.getState().setFocus('offcpu');
    const r = renderWith(s, <App onQuit={() => {}} />);
    const frame = () => stripSgr(r.lastFrame() ?? '');
    await until(() => frame().includes('MAX▼'));
    expect(frame()).toMatch(/COMM +MAX▼/);
    // The header of the off-CPU table is the 5th row of the screen (header, tab row, border, title).
    const lines = frame().split('\n');
    const y = lines.findIndex((l) => l.includes('MAX▼'));
    const x = lines[y].indexOf('TOTAL');
    r.stdin.write(click(x + 2, y + 1));
    await until(() => frame().includes('TOTAL▼'));
    expect(sortOf(s.getState(), 'offcpu')).toEqual({ column: 'TOTAL', descending: true });
    r.stdin.write(click(x + 2, y + 1)); // again: inverted
    await until(() => frame().includes('TOTAL▲'));
    expect(frame()).toContain('TOTAL▲');
    r.unmount();
  });
  it('columnAt: the title under a cell, the nearest between titles; a title inside another is not taken for it', () => {
    const h = '    PID COMM              %CPU▼   %usr   %sys CPU';
    expect(columnAt(h, ['PID', 'COMM', '%CPU', '%usr', '%sys', 'CPU'], h.indexOf('%CPU') + 1)).toBe('%CPU');
    expect(columnAt(h, ['PID', 'COMM', '%CPU', '%usr', '%sys', 'CPU'], h.lastIndexOf('CPU'))).toBe('CPU');
    expect(columnAt(h, ['PID', 'COMM', '%CPU', '%usr', '%sys', 'CPU'], 1)).toBe('PID');
  });
});

describe('presets, hide and show', () => {
  it('p cycles everything, latency, feeds, counters; Tab visits only the panes shown', () => {
    const s = fixtureStore();
    expect(shownPanes(s.getState()).length).toBe(10);
    key(s, 'p');
    expect(s.getState().preset).toBe('latency');
    expect(shownPanes(s.getState())).toEqual(['offcpu', 'runqlat', 'isolation']);
    expect(s.getState().focus).toBe('offcpu'); // the overview is hidden: the focus moved
    key(s, '', { tab: true });
    key(s, '', { tab: true });
    key(s, '', { tab: true });
    expect(s.getState().focus).toBe('offcpu');
    key(s, 'p');
    expect(shownPanes(s.getState())).toEqual(['exec', 'open', 'tcp']);
    key(s, 'p');
    expect(shownPanes(s.getState())).toEqual(['proc']);
    key(s, 'p');
    expect(s.getState().preset).toBe('everything');
    expect(shownPanes(s.getState()).length).toBe(10);
  });
  it('h hides the focused pane (its probe keeps running); v shows it again, switched-off probes included', () => {
    const s = fixtureStore();
    s.getState().setFocus('exec');
    key(s, '3'); // exec switched off: its pane can still be hidden and shown
    expect(s.getState().enabled.exec).toBe(false);
    key(s, 'h');
    expect(shownPanes(s.getState())).not.toContain('exec');
    expect(s.getState().preset).toBe('custom');
    key(s, 'v');
    expect(s.getState().paneMenu).toBe(0);
    const at = ['overview', 'offcpu', 'runqlat', 'exec'].indexOf('exec');
    for (let i = 0; i < at; i++) key(s, '', { downArrow: true });
    key(s, '', { return: true });
    expect(shownPanes(s.getState())).toContain('exec');
    key(s, '', { escape: true });
    expect(s.getState().paneMenu).toBe(null);
    // Hiding every pane leaves one shown.
    for (const p of shownPanes(s.getState())) s.getState().setShown(p, false);
    expect(shownPanes(s.getState()).length).toBeGreaterThan(0);
  });
  it('on screen: a hidden pane leaves the tab row; the pane chooser lists it unchecked', async () => {
    const s = fixtureStore();
    s.getState().setFocus('runqlat');
    const r = renderWith(s, <App onQuit={() => {}} />);
    const frame = () => stripSgr(r.lastFrame() ?? '');
    await until(() => frame().includes('[runqlat]'));
    r.stdin.write('h');
    const tabRow = () => frame().split('\n')[1];
    await until(() => !tabRow().includes('runqlat'));
    expect(tabRow()).not.toContain('runqlat');
    expect(tabRow()).toContain('overview');
    r.stdin.write('v');
    await until(() => frame().includes('[ ] runqlat'));
    expect(frame()).toContain('[x] offcpu');
    r.unmount();
  });
});

describe('feed scroll-back', () => {
  it('a feed scrolled back stays put as events arrive, its title says how far back, End returns to live', async () => {
    const s = fixtureStore();
    s.getState().setFocus('exec');
    const ev = (i: number) => execEvent({ comm: `cmd${i}`, argv: [`cmd${i}`], pid: 1000 + i });
    s.getState().appendFeed(
      'exec',
      Array.from({ length: 40 }, (_, i) => ev(i)),
    );
    const r = renderWith(s, <App onQuit={() => {}} />);
    const frame = () => stripSgr(r.lastFrame() ?? '');
    await until(() => frame().includes('cmd39'));
    r.stdin.write('\x1b[5~'); // PgUp
    await until(() => frame().includes('10 back'));
    expect(frame()).not.toContain('cmd39');
    expect(frame()).toContain('cmd29');
    s.getState().appendFeed('exec', [ev(40), ev(41)]);
    await until(() => frame().includes('12 back'));
    expect(frame()).toContain('cmd29'); // stayed where it was
    expect(frame()).not.toContain('cmd41');
    r.stdin.write('\x1b[F'); // End
    await until(() => frame().includes('cmd41'));
    expect(frame()).not.toMatch(/\d+ back/);
    r.unmount();
  });
});

describe('mouse', () => {
  it('parses SGR reports (press, release, wheel) and nothing else', () => {
    expect(parseMouse('[<0;10;5M')).toEqual([{ button: 0, x: 9, y: 4, release: false }]);
    expect(parseMouse('\x1b[<65;1;1m')).toEqual([{ button: 65, x: 0, y: 0, release: true }]);
    expect(parseMouse('q')).toEqual([]);
    expect(parseMouse('[<0;10M')).toEqual([]);
  });
  it('in the grid (160x48): a click focuses the pane under it, the wheel scrolls a feed under it', () => {
    const s = fixtureStore();
    s.getState().appendFeed(
      'exec',
      Array.from({ length: 50 }, (_, i) => execEvent({ pid: i + 1 })),
    );
    // Off-CPU is at the top of the left column: row 2 of the screen is its border.
    expect(handleMouse(s.getState(), { button: 0, x: 5, y: 3, release: false }, 160, 48)).toBe(true);
    expect(s.getState().focus).toBe('offcpu');
    // The overview is at the top of the right column.
    handleMouse(s.getState(), { button: 0, x: 100, y: 2, release: false }, 160, 48);
    expect(s.getState().focus).toBe('overview');
    // Find the exec pane by scanning the left column from the bottom, with the wheel.
    let scrolled = false;
    for (let y = 46; y > 2 && !scrolled; y--) {
      handleMouse(s.getState(), { button: 64, x: 5, y, release: false }, 160, 48);
      scrolled = s.getState().scrollBack.exec !== undefined;
    }
    expect(scrolled).toBe(true);
    // A release does nothing.
    expect(handleMouse(s.getState(), { button: 0, x: 5, y: 3, release: true }, 160, 48)).toBe(false);
  });
  it('--no-mouse: reports are dropped, never taken for keys', () => {
    const s = fixtureStore();
    s.setState({ mouse: false });
    expect(key(s, '[<0;5;4M')).toBe('ignored');
    expect(s.getState().focus).toBe('overview');
  });
});
