import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { intervalFromJson, intervalToLine } from '../../src/catalogue/codec.js';
import { ProbeManager } from '../../src/manager/manager.js';
import { PrometheusSink } from '../../src/sinks/prometheus.js';
import { parseOptions, usage } from '../../src/cli/args.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { App } from '../../src/ui/components/App.js';
import { fixtureStore } from '../ui/fixtures.js';
import { renderWith, stripSgr, tick } from '../ui/render.js';

describe('the ticks probe, added with one catalogue line and one view line', () => {
  it('runs, is in the --json line and on /metrics, replays, and shows in the overview', async () => {
    const lines: string[] = [];
    const prom = new PrometheusSink(CATALOGUE, { top: 5, node: false });
    const m = new ProbeManager(CATALOGUE, {
      intervalS: 1,
      pid: null,
      comm: null,
      cpus: [0, 1],
      bpfReason: 'no BPF here',
      sinks: [{ interval: (iv) => lines.push(intervalToLine(CATALOGUE, iv)) }, prom],
    });
    await m.start(['ticks']);
    m.tick();
    const iv = m.tick();
    m.stop();
    const j = JSON.parse(lines[1]) as Record<string, unknown> & { probes: Record<string, { state: string }> };
    expect(j.ticks).toEqual({ n: 2 });
    expect(j.probes.ticks).toEqual({ state: 'running' });
    expect(intervalFromJson(CATALOGUE, j).data.ticks).toEqual({ n: 2 });
    expect(prom.exposition('text')).toContain('perfscope_ticks 2');
    expect(parseOptions(['--probes', 'ticks'], [0, 1]).probes).toEqual(['ticks']);
    expect(usage()).toMatch(/--probes LIST .*ticks/);

    const store = fixtureStore({ catalogue: SCREEN_CATALOGUE.filter((s) => s.name === 'ticks'), data: { ticks: iv.data.ticks } });
    const r = renderWith(store, <App onQuit={() => {}} />);
    await tick(50);
    const frame = stripSgr(r.lastFrame() ?? '');
    expect(frame).toContain('ticked 2 times');
    expect(SCREEN_CATALOGUE.at(-1)?.title).toBe('Ticks');
    r.unmount();
  });
});
