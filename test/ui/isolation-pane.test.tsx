import { SchemaError } from '../../src/probes/json-check.js';
import { describe, expect, it } from 'vitest';

import { IsolationPane } from '../../src/ui/components/IsolationPane.js';
import { Header } from '../../src/ui/components/Header.js';
import { headerText } from '../../src/ui/lines/header.js';
import { createAppStore } from '../../src/store/store.js';
import { countersSample, fixtureStore, HOST, isolationSample, offcpuSample, RAW_CONTROL, runqlatSample, traceSample, FIXTURE_CATALOGUE } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import { screenEntry } from './fixtures.js';

const isolation = screenEntry('isolation');

const frameOf = (r: { lastFrame: () => string | undefined }) => stripSgr(r.lastFrame() ?? '');
const data = (iso = isolationSample()) => ({
  offcpu: offcpuSample(),
  runqlat: runqlatSample(),
  proc: countersSample(),
  exec: [],
  open: [],
  tcp: [],
  trace: traceSample(),
  isolation: iso,
});

describe('IsolationPane', () => {
  it('the resident and its longest absence, the intruders, interrupts, softirqs, net, timeline', () => {
    const r = renderWith(fixtureStore({ data: data() }), <IsolationPane spec={isolation} width={100} height={16} />);
    const f = frameOf(r);
    expect(f).toContain('CPU isolation: CPU 1 (first isolated)');
    expect(f).toContain('resident poller[4242] 98.0% running');
    expect(f).toContain('longest absence 1.50ms: kept off by kworker/1:2[77], preempted   21 absences 16.0ms');
    expect(f).toMatch(/INTRUDER\s+PID\s+KIND\s+ON\s+%\s+RUNS\s+LONGEST\s+DISPLACED/);
    expect(f).toMatch(/kworker\/1:2\s+77 kworker\s+15.0ms\s+1.5%\s+20\s+900us poller/);
    expect(f).toContain('idle 0.2%   1 more tasks');
    expect(f).toContain('irq   LOC 250/s  CAL 40/s  41:evil');
    expect(f).toContain('soft  TIMER 30/s  NET_RX 3/s');
    expect(f).toContain('net  softnet 100/s drop 2/s squeeze 5/s  udp rcvbuf 8/s  tcp backlog 3/s  nic drop 4/s');
    expect(f).toMatch(/off max\s+1.50ms ▁?█/);
    // The hostile comm and IRQ name show escaped.
    expect(f).toMatch(/evil\\e\]0;pwned\\a\s+666 task/);
    expect(r.lastFrame() ?? '').not.toMatch(RAW_CONTROL);
  });

  it('no CPU to watch: says to pin one', () => {
    const f = frameOf(
      renderWith(
        fixtureStore({
          data: data(isolationSample({ cpu: null, source: null, tasks: [], isolated: { cpus: [], isolcpus: [], nohz_full: [], partitions: [] } })),
        }),
        <IsolationPane spec={isolation} width={100} height={10} />,
      ),
    );
    expect(f).toContain('this host has no isolated CPU');
    expect(f).toContain('pin one with -C N or ] [');
  });

  it('unavailable: the reason, no data', () => {
    const f = frameOf(
      renderWith(
        fixtureStore({ health: { isolation: { state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' } } }),
        <IsolationPane spec={isolation} width={80} height={8} />,
      ),
    );
    expect(f).toContain('needs root');
  });

  it('--json round trip and the overview lines', () => {
    const s = isolationSample();
    const line = JSON.parse(JSON.stringify(isolation.toJson(s)));
    expect(isolation.fromJson(line)).toEqual(s);
    expect(isolation.fromJson({ isolation: null })).toBeNull();
    expect(() => isolation.fromJson({ isolation: { tasks: 3 } })).toThrow(SchemaError);
    const ov = isolation.overview(s, { pinned: 1, intervalS: 1, width: 100 });
    expect(ov[0]).toBe('CPU1 (isolated) resident poller[4242] 980.0ms  off max 1.50ms by kworker/1:2');
    expect(ov[1]).toMatch(/^intruders 3: kworker\/1:2 20× 15.0ms/);
    expect(isolation.trend!(s)).toEqual({ off_max_us: 1500.5, drops: 17, squeeze: 5, irq_s: 294 });
  });
});

describe('header', () => {
  it('marks isolated CPUs after the CPU list', () => {
    expect(
      headerText({ hostname: 'h', kernel: 'k', uptimeS: 1, load: null, cpus: [0, 1, 2, 3], isolated: [2, 3], pinned: 2, intervalS: 1, paused: false }, 120)
        .left,
    ).toContain('cpus 0-3 iso 2-3');
    const store = createAppStore({ catalogue: FIXTURE_CATALOGUE, host: { ...HOST, isolated: [1] }, intervalS: 1, pinnedCpu: 1, enabled: [] });
    expect(frameOf(renderWith(store, <Header width={100} />))).toContain('cpus 0-1 iso 1');
  });
});
