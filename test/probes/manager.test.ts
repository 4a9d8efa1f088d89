// The manager with fake probes: health, isolation of failures, live toggles and pinning.
import { describe, expect, it } from 'vitest';
import { ProbeManager } from '../../src/manager/manager.js';
import { createAppStore } from '../../src/store/store.js';
import { storeSink } from '../../src/store/store-sink.js';
import { CATALOGUE, type Catalogue, type ProbeName } from '../../src/catalogue/catalogue.js';
import { ProbeUnavailable, type Probe, type ProbeConfig } from '../../src/probes/types.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cgroups } from '../../src/probes/cgroup/registry.js';
import { CgroupTree, cgroup2Root } from '../../src/probes/cgroup/tree.js';
import { RuntimeNames } from '../../src/probes/cgroup/runtime-names.js';

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

/** The real catalogue with each probe's create() replaced by a fake's (none: not built). */
function catalogueWith(factories: Partial<Record<ProbeName, () => Fake>>): Catalogue {
  return CATALOGUE.map((spec) => ({
    ...spec,
    create: async () => {
      const f = factories[spec.name];
      if (!f) throw new ProbeUnavailable('not built into this perfscope yet');
      return f();
    },
  }));
}

/** A store and a manager wired as the CLI wires them (the store's sink; the manager attached to the store). */
function wire(enabled: ProbeName[], factories: Partial<Record<ProbeName, () => Fake>>, bpfReason: string | null, now?: () => number) {
  const store = createAppStore({ catalogue: SCREEN_CATALOGUE, host: { hostname: 'h', kernel: 'k', cpus: [0, 1] }, intervalS: 1, pinnedCpu: null, enabled });
  const m = new ProbeManager(catalogueWith(factories), { intervalS: 1, pid: null, comm: null, cpus: [0, 1], bpfReason, now, sinks: [storeSink(store)] });
  store.getState().attach(m);
  return { store, m, start: () => m.start(enabled) };
}

function setup(enabled: ProbeName[], fakes: Partial<Record<ProbeName, Fake>>, bpfReason: string | null = null) {
  const factories: Partial<Record<ProbeName, () => Fake>> = {};
  for (const [n, f] of Object.entries(fakes)) factories[n as ProbeName] = () => f!;
  let t = 0;
  return wire(enabled, factories, bpfReason, () => (t += 1000));
}

describe('ProbeManager', () => {
  it('a probe that fails to start is failed with its reason; the others run', async () => {
    const good = new Fake('runqlat');
    const bad = new Fake('offcpu', false, 'start');
    const { store, m, start } = setup(['runqlat', 'offcpu'], { runqlat: good, offcpu: bad });
    await start();
    const snap = m.tick();
    expect(snap.probes.offcpu).toEqual({ state: 'failed', reason: 'boom at start' });
    expect(snap.probes.runqlat.state).toBe('running');
    expect(snap.data.runqlat).toEqual({ n: 1 });
    expect(snap.data.offcpu).toBeNull();
    expect(bad.stopped).toBe(1); // cleaned up after the failed start
    expect(store.getState().health.offcpu.state).toBe('failed');
    m.stop();
  });

  it('a probe that throws while sampling is stopped and failed; the others keep sampling', async () => {
    const good = new Fake('runqlat');
    const bad = new Fake('exec', false, 'sample');
    const { m, start } = setup(['runqlat', 'exec'], { runqlat: good, exec: bad });
    await start();
    const s1 = m.tick();
    expect(s1.probes.exec).toEqual({ state: 'failed', reason: 'boom at sample' });
    expect(bad.stopped).toBe(1);
    const s2 = m.tick();
    expect(s2.data.runqlat).toEqual({ n: 2 });
    expect(bad.samples).toBe(1);
    m.stop();
  });

  it('BPF probes are unavailable with the reason when BPF cannot be used; others run', async () => {
    const b = new Fake('runqlat', true);
    const p = new Fake('proc', false);
    const { m, start } = setup(['runqlat', 'proc'], { runqlat: b, proc: p }, 'needs root (CAP_BPF and CAP_PERFMON)');
    await start();
    const s = m.tick();
    expect(s.probes.runqlat).toEqual({ state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' });
    expect(b.started).toBe(0);
    expect(s.probes.proc.state).toBe('running');
    m.stop();
  });

  it('probes not selected are off; a probe with no implementation is unavailable', async () => {
    const { m, start } = setup(['tcp'], {});
    await start();
    const s = m.tick();
    expect(s.probes.runqlat.state).toBe('off');
    expect(s.probes.tcp.state).toBe('unavailable');
    m.stop();
  });

  it('follows toggles from the store: off stops the probe, on starts a fresh one', async () => {
    const made: Fake[] = [];
    const { store, m, start } = wire(
      ['runqlat'],
      {
        runqlat: () => {
          const f = new Fake('runqlat');
          made.push(f);
          return f;
        },
      },
      null,
    );
    await start();
    expect(made).toHaveLength(1);
    store.getState().toggleProbe('runqlat');
    expect(made[0].stopped).toBe(1);
    expect(store.getState().health.runqlat.state).toBe('off');
    expect(m.tick().data.runqlat).toBeNull();
    store.getState().toggleProbe('runqlat');
    await m.settled();
    expect(made).toHaveLength(2);
    expect(made[1].started).toBe(1);
    expect(m.tick().probes.runqlat.state).toBe('running');
    m.stop();
    expect(made[1].stopped).toBe(1);
  });

  it('passes pin changes to running probes live, and the config at start', async () => {
    const f = new Fake('offcpu');
    const { store, m, start } = setup(['offcpu'], { offcpu: f });
    store.getState().pinCpu(1);
    await start();
    expect(f.config?.pinnedCpu).toBe(1);
    store.getState().pinNext(1); // 1 -> 0 (wraps)
    store.getState().pinCpu(null);
    expect(f.pinned).toEqual([0, null]);
    expect(m.tick().pinned_cpu).toBeNull();
    m.stop();
  });

  it('moves feed events into the store in order and reports the measured interval', async () => {
    const f = new Fake('exec');
    const { store, m, start } = setup(['exec'], { exec: f });
    await start();
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

describe('feed count mode', () => {
  class FakeFeed extends Fake {
    keep: (number | null)[] = [];
    keepNewest(n: number | null) {
      this.keep.push(n);
    }
  }
  const run = async (sinks: (cat: Catalogue) => ConstructorParameters<typeof ProbeManager>[1]['sinks']) => {
    const feeds: FakeFeed[] = [];
    const cat = catalogueWith({ open: () => (feeds[feeds.length] = new FakeFeed('open')), proc: () => new Fake('proc') });
    const m = new ProbeManager(cat, { intervalS: 1, pid: null, comm: null, cpus: [0, 1], bpfReason: null, sinks: sinks(cat) });
    await m.start(['open', 'proc']);
    m.stop();
    return feeds.map((f) => f.keep);
  };
  const store = () =>
    storeSink(createAppStore({ catalogue: SCREEN_CATALOGUE, host: { hostname: 'h', kernel: 'k', cpus: [0, 1] }, intervalS: 1, pinnedCpu: null, enabled: [] }));

  it('the screen alone (its store reads only counts and the newest event): count mode, the newest one kept', async () => {
    expect(await run(() => [store()])).toEqual([[1]]);
  });

  it('any sink that reads every event (--json, --record, --listen) keeps the whole interval list', async () => {
    expect(await run(() => [store(), { interval: () => {} }])).toEqual([[null]]);
    expect(await run(() => [{ interval: () => {} }])).toEqual([[null]]);
  });
});

describe('ProbeManager: --cgroup', () => {
  class CgFake extends Fake {
    cgroups: (readonly number[] | null)[] = [];
    setCgroups(ids: readonly number[] | null) {
      this.cgroups.push(ids);
    }
  }

  it('resolves values to subtrees of ids, starts probes with them, follows a live change and cgroups made later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfscope-mgr-cg-'));
    try {
      const v2 = join(dir, 'fs/cgroup');
      mkdirSync(join(v2, 'system.slice/web.service'), { recursive: true });
      mkdirSync(join(v2, 'system.slice/db.service'), { recursive: true });
      writeFileSync(join(v2, 'cgroup.controllers'), '\n');
      const ino = (p: string) => Number(statSync(join(v2, p), { bigint: true }).ino);
      const reg = new Cgroups(new CgroupTree(cgroup2Root(dir), 0), new RuntimeNames([]));
      const f = new CgFake('runqlat');
      const m = new ProbeManager(catalogueWith({ runqlat: () => f }), {
        intervalS: 1,
        pid: null,
        comm: null,
        cpus: [0],
        bpfReason: null,
        cgroups: ['web.service'],
        cgroupRegistry: reg,
      });
      await m.start(['runqlat']);
      expect(f.config?.cgroups).toEqual([ino('system.slice/web.service')]);
      // A cgroup made below the selected one joins at the next tick.
      mkdirSync(join(v2, 'system.slice/web.service/worker'));
      m.tick();
      expect(f.cgroups.at(-1)).toEqual([ino('system.slice/web.service'), ino('system.slice/web.service/worker')].sort((a, b) => a - b));
      // Live: another value, then none.
      m.setCgroupFilter(['/system.slice/db.service']);
      expect(f.cgroups.at(-1)).toEqual([ino('system.slice/db.service')]);
      m.setCgroupFilter([]);
      expect(f.cgroups.at(-1)).toBeNull();
      // Nothing changed: no call.
      const calls = f.cgroups.length;
      m.tick();
      m.setCgroupFilter([]);
      expect(f.cgroups.length).toBe(calls);
      // A value that matches nothing lets nothing through (an empty list, not "no filter").
      m.setCgroupFilter(['nope.service']);
      expect(f.cgroups.at(-1)).toEqual([]);
      m.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('feeds drained between ticks only while shown (setFeedsShown)', () => {
  class CountingFeed extends Fake {
    drains = 0;
    override drain() {
      this.drains++;
      return super.drain();
    }
  }

  it('the flush timer drains while a feed is shown; hidden or paused, only ticks drain; shown again, it drains again', async () => {
    const f = new CountingFeed('open');
    const store = createAppStore({
      catalogue: SCREEN_CATALOGUE,
      host: { hostname: 'h', kernel: 'k', cpus: [0, 1] },
      intervalS: 1,
      pinnedCpu: null,
      enabled: [],
    });
    // A long interval (no tick in the test), a short flush period.
    const m = new ProbeManager(catalogueWith({ open: () => f }), {
      intervalS: 60,
      pid: null,
      comm: null,
      cpus: [0, 1],
      bpfReason: null,
      feedFlushMs: 10,
      sinks: [storeSink(store)],
    });
    await m.start(['open']);
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      m.run();
      await wait(120);
      expect(f.drains, 'shown: drained between ticks').toBeGreaterThan(0);
      m.setFeedsShown(false);
      const at = f.drains;
      await wait(120);
      expect(f.drains, 'hidden: no drain between ticks').toBe(at);
      // The events wait for the next tick (the ring buffer holds them): nothing is lost.
      f.pending.push({ e: 1 });
      m.tick();
      expect(f.drains).toBe(at + 1);
      expect(f.pending).toEqual([]);
      m.setFeedsShown(true);
      await wait(120);
      expect(f.drains, 'shown again').toBeGreaterThan(at + 1);
    } finally {
      m.stop();
    }
    const after = f.drains;
    m.setFeedsShown(true); // after stop: no timer comes back
    await wait(50);
    expect(f.drains).toBe(after);
  });
});
