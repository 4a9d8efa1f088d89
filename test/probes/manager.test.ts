// The manager with fake probes: health, isolation of failures, live toggles and pinning.
import { describe, expect, it } from 'vitest';
import { ProbeManager } from '../../src/probes/manager.js';
import { createAppStore } from '../../src/store/store.js';
import type { Probe, ProbeConfig, ProbeName } from '../../src/probes/types.js';

class Fake implements Probe<unknown, unknown> {
  started = 0;
  stopped = 0;
  samples = 0;
  pinned: (number | null)[] = [];
  pending: unknown[] = [];
  config: ProbeConfig | null = null;
  constructor(
    readonly name: ProbeName,
    readonly bpf = false,
    private readonly failOn: 'start' | 'sample' | null = null,
  ) {}
  start(c: ProbeConfig) {
    this.config = c;
    this.started++;
    if (this.failOn === 'start') throw new Error('boom at start');
  }
  sample() {
    this.samples++;
    if (this.failOn === 'sample') throw new Error('boom at sample');
    return { n: this.samples };
  }
  cost() {
    return { run_ns: 100, run_cnt: 10, ns_per_event: 10, lost: 0 };
  }
  drain() {
    return this.pending.splice(0);
  }
  setPinnedCpu(c: number | null) {
    this.pinned.push(c);
  }
  stop() {
    this.stopped++;
  }
}

function setup(enabled: ProbeName[], fakes: Partial<Record<ProbeName, Fake>>, bpfReason: string | null = null) {
  const store = createAppStore({ host: { hostname: 'h', kernel: 'k', cpus: [0, 1] }, intervalS: 1, pinnedCpu: null, enabled });
  const factories: Partial<Record<ProbeName, () => Fake>> = {};
  for (const [n, f] of Object.entries(fakes)) factories[n as ProbeName] = () => f!;
  let t = 0;
  const m = new ProbeManager(store, { intervalS: 1, pid: null, comm: null, cpus: [0, 1], bpfReason, factories, now: () => (t += 1000) });
  return { store, m };
}

describe('ProbeManager', () => {
  it('a probe that fails to start is failed with its reason; the others run', () => {
    const good = new Fake('runqlat');
    const bad = new Fake('offcpu', false, 'start');
    const { store, m } = setup(['runqlat', 'offcpu'], { runqlat: good, offcpu: bad });
    m.start();
    const snap = m.tick();
    expect(snap.probes.offcpu).toEqual({ state: 'failed', reason: 'boom at start' });
    expect(snap.probes.runqlat.state).toBe('running');
    expect(snap.data.runqlat).toEqual({ n: 1 });
    expect(snap.data.offcpu).toBeNull();
    expect(bad.stopped).toBe(1); // cleaned up after the failed start
    expect(store.getState().health.offcpu.state).toBe('failed');
    m.stop();
  });

  it('a probe that throws while sampling is stopped and failed; the others keep sampling', () => {
    const good = new Fake('runqlat');
    const bad = new Fake('exec', false, 'sample');
    const { m } = setup(['runqlat', 'exec'], { runqlat: good, exec: bad });
    m.start();
    const s1 = m.tick();
    expect(s1.probes.exec).toEqual({ state: 'failed', reason: 'boom at sample' });
    expect(bad.stopped).toBe(1);
    const s2 = m.tick();
    expect(s2.data.runqlat).toEqual({ n: 2 });
    expect(bad.samples).toBe(1);
    m.stop();
  });

  it('BPF probes are unavailable with the reason when BPF cannot be used; others run', () => {
    const b = new Fake('runqlat', true);
    const p = new Fake('proc', false);
    const { m } = setup(['runqlat', 'proc'], { runqlat: b, proc: p }, 'needs root (CAP_BPF and CAP_PERFMON)');
    m.start();
    const s = m.tick();
    expect(s.probes.runqlat).toEqual({ state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' });
    expect(b.started).toBe(0);
    expect(s.probes.proc.state).toBe('running');
    m.stop();
  });

  it('probes not selected are off; a probe with no implementation is unavailable', () => {
    const { m } = setup(['tcp'], {});
    m.start();
    const s = m.tick();
    expect(s.probes.runqlat.state).toBe('off');
    expect(s.probes.tcp.state).toBe('unavailable');
    m.stop();
  });

  it('follows toggles from the store: off stops the probe, on starts a fresh one', () => {
    const made: Fake[] = [];
    const store = createAppStore({ host: { hostname: 'h', kernel: 'k', cpus: [0, 1] }, intervalS: 1, pinnedCpu: null, enabled: ['runqlat'] });
    const m = new ProbeManager(store, {
      intervalS: 1, pid: null, comm: null, cpus: [0, 1], bpfReason: null,
      factories: { runqlat: () => { const f = new Fake('runqlat'); made.push(f); return f; } },
    });
    m.start();
    expect(made).toHaveLength(1);
    store.getState().toggleProbe('runqlat');
    expect(made[0].stopped).toBe(1);
    expect(store.getState().health.runqlat.state).toBe('off');
    expect(m.tick().data.runqlat).toBeNull();
    store.getState().toggleProbe('runqlat');
    expect(made).toHaveLength(2);
    expect(made[1].started).toBe(1);
    expect(m.tick().probes.runqlat.state).toBe('running');
    m.stop();
    expect(made[1].stopped).toBe(1);
  });

  it('passes pin changes to running probes live, and the config at start', () => {
    const f = new Fake('offcpu');
    const { store, m } = setup(['offcpu'], { offcpu: f });
    store.getState().pinCpu(1);
    m.start();
    expect(f.config?.pinnedCpu).toBe(1);
    store.getState().pinNext(1); // 1 -> 0 (wraps)
    store.getState().pinCpu(null);
    expect(f.pinned).toEqual([0, null]);
    expect(m.tick().pinned_cpu).toBeNull();
    m.stop();
  });

  it('moves feed events into the store in order and reports the measured interval', () => {
    const f = new Fake('exec');
    const { store, m } = setup(['exec'], { exec: f });
    m.start();
    f.pending.push({ a: 1 }, { a: 2 });
    m.flushFeeds();
    f.pending.push({ a: 3 });
    const s = m.tick();
    expect(store.getState().feeds.exec.lines.toArray()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(s.interval_s).toBe(1);
    expect(s.probes.exec.cost?.ns_per_event).toBe(10);
    m.stop();
  });
});
