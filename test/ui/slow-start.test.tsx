import { describe, expect, it } from 'vitest';
import type { ScreenCatalogue } from '../../src/views/view.js';
import { ProbeManager } from '../../src/manager/manager.js';
import type { Probe } from '../../src/probes/types.js';
import { createAppStore } from '../../src/store/store.js';
import { storeSink } from '../../src/store/store-sink.js';
import { App } from '../../src/ui/components/App.js';
import { handleKey } from '../../src/ui/keys.js';
import { HOST, FIXTURE_CATALOGUE } from './fixtures.js';
import { renderWith, stripSgr, tick } from './render.js';

describe('a slow probe start', () => {
  it('leaves the screen drawing frames while the probe is starting', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const slow: Probe<never[], never> = {
      bpf: false,
      start: async () => {
        started++;
        await gate;
      },
      sample: () => [],
      stop: () => {},
    };
    // exec's spec, with a start that takes as long as the test wants.
    const cat = FIXTURE_CATALOGUE.map((s) => (s.name === 'exec' ? { ...s, bpf: false, create: async () => slow } : s)) as ScreenCatalogue;
    const store = createAppStore({ catalogue: cat, host: HOST, intervalS: 0.05, pinnedCpu: null, enabled: [] });
    const m = new ProbeManager(cat, { intervalS: 0.05, pid: null, comm: null, cpus: [0, 1], bpfReason: null, sinks: [storeSink(store)] });
    store.getState().attach(m);
    await m.start([]);
    const r = renderWith(store, <App onQuit={() => {}} />);
    m.run(); // a tick, and so a frame, every 50 ms

    expect(handleKey(store.getState(), '3', {})).toBe('handled');
    expect(store.getState().health.exec.state).toBe('starting');
    const from = r.frames.length;
    const startingFrames = () => r.frames.slice(from).filter((f) => /\bexec …|… [^│]*\b3\b/.test(stripSgr(f)) && /starting…/.test(stripSgr(f))).length;
    while (startingFrames() < 5) await tick(20);
    expect(started).toBe(1);
    release();
    await m.settled();
    while (!/\bexec on|on [^│]*\b3\b/.test(stripSgr(r.lastFrame() ?? ''))) await tick(20);
    expect(store.getState().health.exec.state).toBe('running');
    m.stop();
    r.unmount();
  });
});
