import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/components/App.js';
import type { AppStore } from '../../src/store/store.js';
import type { Interval as IntervalSnapshot } from '../../src/catalogue/catalogue.js';
import { countersSample, execEvent, fixtureStore, offcpuSample, runqlatSample, tcpEvent, nullData } from './fixtures.js';
import { renderWith, stripSgr, tick } from './render.js';

/** The interval after `prev`: new time, new data, new costs (as the manager commits it). */
function nextInterval(store: AppStore, i: number): IntervalSnapshot {
  const prev = store.getState().latest!;
  const probes = { ...prev.probes };
  for (const k of Object.keys(probes) as (keyof typeof probes)[])
    probes[k] = { state: 'running', cost: { run_ns: (400 + i) * 1000, run_cnt: 1000, ns_per_event: 400 + i, lost: 0 } };
  const off = offcpuSample();
  return {
    time: new Date(Date.parse(prev.time) + 1000).toISOString(),
    interval_s: 1,
    pinned_cpu: null,
    probes,
    data: {
      ...nullData(),
      offcpu: { ...off, rows: off.rows.map((r) => ({ ...r, max_us: r.max_us + i })) },
      runqlat: runqlatSample(),
      proc: countersSample({ load: { load1: 1 + i / 100, load5: 0.5, load15: 0.25, running: 3, blocked: 1, tasks: 321 } }),
      exec: [],
      open: [],
      tcp: [],
      trace: null,
      profile: null,
      isolation: null,
    },
  };
}

/** Terminal cells of a line of this test (the CJK characters used here take two). */
const cells = (l: string) => [...l].reduce((w, ch) => w + (/[\u4e00-\u9fff]/.test(ch) ? 2 : 1), 0);

async function settle(): Promise<void> {
  await tick(20);
}

describe('renders per tick', () => {
  it('one frame per interval; feed flushes for a feed not shown draw nothing', async () => {
    const store = fixtureStore();
    store.getState().setFocus('offcpu'); // the pane after the overview
    const r = renderWith(store, <App onQuit={() => {}} />);
    await settle();
    expect(stripSgr(r.lastFrame() ?? '')).toContain('Off-CPU maxima');
    const ticks = 5;
    const before = r.frames.length;
    let pid = 100;
    for (let i = 1; i <= ticks; i++) {
      // Between two ticks the manager flushes the feeds ~9 times; the exec feed is not shown.
      for (let k = 0; k < 9; k++) {
        store.getState().appendFeed('exec', [execEvent({ pid: pid++ })]);
        store.getState().appendFeed('open', []);
        await settle();
      }
      store.getState().commitInterval(nextInterval(store, i));
      await settle();
      // The frame of this interval carries its data everywhere at once.
      const f = stripSgr(r.lastFrame() ?? '');
      expect(f).toContain(`${400 + i}ns/run`); // the pane title
      expect(f).toContain(`load ${(1 + i / 100).toFixed(2)}`); // header
    }
    expect(r.frames.length - before).toBe(ticks);
    r.unmount();
  });

  it('the shown feed: a frame per flush with events, none for an empty flush', async () => {
    const store = fixtureStore();
    store.getState().setFocus('exec');
    const r = renderWith(store, <App onQuit={() => {}} />);
    await settle();
    expect(stripSgr(r.lastFrame() ?? '')).toContain('[exec]');
    const before = r.frames.length;
    store.getState().appendFeed('exec', []);
    await settle();
    expect(r.frames.length).toBe(before);
    store.getState().appendFeed('exec', [execEvent({ pid: 4321, comm: 'first' })]);
    await settle();
    expect(r.frames.length).toBe(before + 1);
    expect(stripSgr(r.lastFrame() ?? '')).toContain('first');
    store.getState().appendFeed('exec', [execEvent({ pid: 4322, comm: 'second' }), execEvent({ pid: 4323, comm: 'third' })]);
    await settle();
    expect(r.frames.length).toBe(before + 2);
    expect(stripSgr(r.lastFrame() ?? '')).toContain('third');
    // Another feed's events do not redraw the exec pane.
    store.getState().appendFeed('tcp', [tcpEvent({ ts: 0 })]);
    await settle();
    expect(r.frames.length).toBe(before + 2);
    r.unmount();
  });
});

describe('panes clip vertically only (text is already fitted to the width)', () => {
  it('long reasons, wide characters and long lines stay inside the border', async () => {
    const long = 'x'.repeat(300);
    const store = fixtureStore({
      health: { offcpu: { state: 'failed', reason: `${long} ${'word '.repeat(80)}` } },
      data: { offcpu: offcpuSample(), runqlat: runqlatSample(), proc: countersSample() },
    });
    const r = renderWith(store, <App onQuit={() => {}} />);
    await settle();
    const check = () => {
      const lines = stripSgr(r.lastFrame() ?? '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      // ink-testing-library's stdout is 100 columns wide; every pane row is │...│ of exactly 100.
      const body = lines.filter((l) => l.startsWith('│'));
      expect(body.length).toBeGreaterThan(5);
      for (const l of body) {
        expect(cells(l), l).toBe(100);
        expect(l.endsWith('│'), l).toBe(true);
      }
    };
    check();
    expect(stripSgr(r.lastFrame() ?? '')).toContain('failed: xxxx');
    // A running pane with rows wider than the pane (double-width characters in comm).
    store.getState().setHealth('offcpu', { state: 'running' });
    const wide = offcpuSample();
    store.getState().commitInterval({
      ...store.getState().latest!,
      probes: { ...store.getState().latest!.probes, offcpu: { state: 'running' } },
      data: {
        ...store.getState().latest!.data,
        offcpu: { ...wide, rows: wide.rows.map((row) => ({ ...row, comm: '漢字漢字漢字漢字', preempted_by: '漢字漢字漢字漢字漢字漢字' })) },
      },
    });
    await settle();
    expect(stripSgr(r.lastFrame() ?? '')).toContain('漢字');
    check();
    r.unmount();
  });
});
