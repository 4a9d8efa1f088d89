import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Catalogue, type CatalogueEntry } from '../../src/catalogue/catalogue.js';
import { ProbeManager } from '../../src/manager/manager.js';
import type { Probe } from '../../src/probes/types.js';
import { withViews, type ViewSpec } from '../../src/views/view.js';
import { VIEWS } from '../../src/views/views.js';
import { createAppStore } from '../../src/store/store.js';
import { storeSink } from '../../src/store/store-sink.js';
import { jsonSink } from '../../src/sinks/json.js';
import { intervalToLine } from '../../src/catalogue/codec.js';
import { App } from '../../src/ui/components/App.js';
import { handleKey, keyHelp, toggleKeys } from '../../src/ui/keys.js';
import { parseOptions, usage } from '../../src/cli/args.js';
import { FIXTURE_CATALOGUE, HOST } from '../ui/fixtures.js';
import { renderWith, stripSgr, tick } from '../ui/render.js';

interface DummySample {
  n: number;
}

class DummyProbe implements Probe<DummySample> {
  readonly bpf = false;
  n = 0;
  stopped = 0;
  start(): void {}
  sample(): DummySample {
    return { n: ++this.n };
  }
  stop(): void {
    this.stopped++;
  }
}

const made: DummyProbe[] = [];
const dummy: CatalogueEntry<'dummy', DummySample, never> = {
  name: 'dummy',
  kind: 'aggregate',
  bpf: false,
  create: async () => {
    const p = new DummyProbe();
    made.push(p);
    return p;
  },
  toJson: (s) => ({ dummy: s }),
  fromJson: (line) => (line.dummy as DummySample | null) ?? null,
};

const dummyView: ViewSpec<DummySample> = {
  title: 'Dummy probe',
  tab: 'dummy',
  key: '9',
  grid: { column: 1, row: 9, weight: 1 },
  summary: (s) => `n ${s.n}`,
  overview: (s) => [`dummy counted ${s.n}`],
};

// Types are the default catalogue's; the test's own one holds one probe more, and its views one view more.
const BASE = CATALOGUE.filter((s) => FIXTURE_CATALOGUE.some((f) => f.name === s.name));
const CAT = [...BASE, dummy] as unknown as Catalogue;
const SCREEN = withViews(CAT, { ...VIEWS, dummy: dummyView });

describe('a probe added to the catalogue, and nowhere else', () => {
  it('appears in the tab row, the status line, the key map, the overview and the --json line', async () => {
    const lines: string[] = [];
    const store = createAppStore({ catalogue: SCREEN, host: HOST, intervalS: 1, pinnedCpu: null, enabled: ['dummy'] });
    const m = new ProbeManager(CAT, {
      intervalS: 1,
      pid: null,
      comm: null,
      cpus: [0, 1],
      bpfReason: 'no BPF in this test',
      sinks: [
        storeSink(store),
        jsonSink(
          CAT,
          (l) => lines.push(l),
          null,
          () => {},
        ),
      ],
    });
    store.getState().attach(m);
    await m.start(['dummy']);
    const iv = m.tick();

    // --json: its health under probes, its data under its own key, after the others.
    const j = JSON.parse(lines[0]) as Record<string, unknown> & { probes: Record<string, { state: string }> };
    expect(j.probes.dummy).toEqual({ state: 'running' });
    expect(j.dummy).toEqual({ n: 1 });
    // After the default catalogue's last probe's own keys (whichever probe is last).
    const lastKey = Object.keys(BASE[BASE.length - 1].toJson(null)).at(-1);
    expect(Object.keys(j).slice(-2)).toEqual([lastKey, 'dummy']);
    expect(lines[0]).toBe(intervalToLine(CAT, iv));
    expect(dummy.fromJson(JSON.parse(lines[0]))).toEqual({ n: 1 });

    // The screen at 80x24: the overview (first tab) has its line, the tab row its tab, the
    // status line its key, name and state.
    const r = renderWith(store, <App onQuit={() => {}} />);
    await tick(50);
    const frame = stripSgr(r.lastFrame() ?? '');
    const rows = frame.split('\n');
    expect(rows[1]).toContain(' dummy ');
    // (with eight probes an 80-column status line has room for their names and states, not their keys)
    expect(rows[rows.length - 1]).toContain(' dummy on');
    expect(frame).toContain('dummy counted 1');

    // The key map: its key switches it off (the manager stops it) and on again.
    expect(toggleKeys(SCREEN).get('9')).toBe('dummy');
    expect(
      keyHelp(SCREEN)
        .map(([k]) => k)
        .join(' '),
    ).toContain('9');
    handleKey(store.getState(), '9', {});
    expect(made[0].stopped).toBe(1);
    await tick(50);
    // (as one of the probes that are off, when their names and states do not all fit)
    expect(
      stripSgr(r.lastFrame() ?? '')
        .split('\n')
        .pop(),
    ).toMatch(/ dummy off|off: .*\bdummy\b/);
    handleKey(store.getState(), '9', {});
    await m.settled();
    expect(made).toHaveLength(2);
    expect((m.tick().probes as Record<string, unknown>).dummy).toEqual({ state: 'running' });
    r.unmount();
    m.stop();

    // The command line: --probes takes it, --help lists it.
    expect(parseOptions(['--probes', 'dummy,proc'], [0, 1], SCREEN).probes).toEqual(['proc', 'dummy']);
    expect(usage(SCREEN)).toMatch(/--probes LIST .*dummy/);
  });
});
