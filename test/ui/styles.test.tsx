// Colours and untrusted text, with chalk forced to emit styles (FORCE_COLOR is read when chalk is
// first imported, hence vi.hoisted): NO_COLOR gives no colour escape at all, the pinned CPU's row
// is highlighted, and an event holding raw ESC / C1 CSI / a bidi override never reaches the frame
// raw.
import { vi, describe, expect, it } from 'vitest';

vi.hoisted(() => {
  process.env.FORCE_COLOR = '3';
});
import { App } from '../../src/ui/components/App.js';
import { ExecPane } from '../../src/ui/components/ExecPane.js';
import { OpenPane } from '../../src/ui/components/OpenPane.js';
import { TcpPane } from '../../src/ui/components/TcpPane.js';
import { ProcPane } from '../../src/ui/components/ProcPane.js';

import { OffcpuPane } from '../../src/ui/components/OffcpuPane.js';
import { themeFromEnv } from '../../src/ui/theme.js';
import { CSI_C1, ESC, RAW_CONTROL, RLO, execEvent, fixtureStore, offcpuSample, openEvent, tcpEvent } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import { screenEntry } from './fixtures.js';

const offcpu = screenEntry('offcpu');
const exec = screenEntry('exec');
const open = screenEntry('open');
const tcp = screenEntry('tcp');
const proc = screenEntry('proc');

/** SGR sequences that set a colour (foreground, background, bright, 256/truecolour). */
function colourEscapes(s: string): string[] {
  const out: string[] = [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
  for (const m of s.matchAll(/\x1b\[([0-9;]*)m/g)) {
    const ps = m[1].split(';').map(Number);
    if (ps.some((p) => (p >= 30 && p <= 38) || (p >= 40 && p <= 48) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107))) out.push(m[0]);
  }
  return out;
}

describe('NO_COLOR', () => {
  it('themeFromEnv: NO_COLOR set and non-empty turns colours off', () => {
    expect(themeFromEnv({}).color).toBe(true);
    expect(themeFromEnv({ NO_COLOR: '' }).color).toBe(true);
    expect(themeFromEnv({ NO_COLOR: '1' }).color).toBe(false);
  });

  it('the whole screen has colour escapes normally and none under NO_COLOR', () => {
    const store = fixtureStore({ health: { open: { state: 'unavailable', reason: 'x' }, tcp: { state: 'failed', reason: 'y' } } });
    store.getState().setFocus('offcpu'); // the pane after the overview
    const coloured = renderWith(store, <App onQuit={() => {}} />, { color: true });
    expect(colourEscapes(coloured.lastFrame() ?? '').length).toBeGreaterThan(0);
    coloured.unmount();
    const plain = renderWith(store, <App onQuit={() => {}} />, themeFromEnv({ NO_COLOR: '1' }));
    const f = plain.lastFrame() ?? '';
    expect(stripSgr(f)).toContain('Off-CPU maxima');
    expect(colourEscapes(f)).toEqual([]);
    plain.unmount();
  });
});

describe('highlight', () => {
  it("the pinned CPU's row is drawn inverse", () => {
    const f = renderWith(fixtureStore({ pinned: 1 }), <ProcPane spec={proc} width={80} height={21} />).lastFrame() ?? '';
    const lines = f.split('\n');
    const cpu1 = lines.find((l) => /^│1 +10\.0/.test(stripSgr(l)));
    const cpu0 = lines.find((l) => /^│0 +50\.0/.test(stripSgr(l)));
    expect(cpu1).toContain('\x1b[7m');
    expect(cpu0).not.toContain('\x1b[7m');
  });
});

describe('untrusted text never reaches the terminal raw', () => {
  const evil = `x${ESC}]0;pwned\x07${CSI_C1}2J${RLO}txt${ESC}[2J`;
  it('exec/open/tcp/offcpu cells holding raw ESC, C1 CSI and a bidi override are shown escaped', () => {
    const store = fixtureStore({ data: { offcpu: offcpuSample({ rows: [{ ...offcpuSample().rows[0], comm: evil, preempted_by: evil }] }) } });
    store.getState().appendFeed('exec', [execEvent({ comm: evil, filename: evil, argv: [evil, 'b'] })]);
    store.getState().appendFeed('open', [openEvent({ comm: evil, path: `/tmp/${evil}` })]);
    store.getState().appendFeed('tcp', [tcpEvent({ comm: evil, daddr: evil })]);
    const frames = [
      renderWith(store, <ExecPane spec={exec} width={120} height={8} />).lastFrame() ?? '',
      renderWith(store, <OpenPane spec={open} width={120} height={8} />).lastFrame() ?? '',
      renderWith(store, <TcpPane spec={tcp} width={120} height={8} />).lastFrame() ?? '',
      renderWith(store, <OffcpuPane spec={offcpu} width={120} height={8} />).lastFrame() ?? '',
    ];
    for (const raw of frames) {
      const text = stripSgr(raw); // Ink's own styling only: what is left must hold no control
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).not.toContain(RLO);
      expect(text).toContain('x\\e]0;pwned\\a\\u{9b}2J\\u{202e}txt');
    }
  });
});
