// Every sink on its own: the manager (real, with the real proc probe reading this host's /proc)
// hands its intervals to a sink that throws and to the real outputs (the --json writer, the
// recorder, the screen's store). The one that throws is reported — failed with its error, once to
// the others' sinkHealth (the store's status line), counted in each later line's `sinks` — and the
// others receive every interval; when it works again it says so and keeps its count. A feed batch
// that a sink throws on does not fail the feed. The --json writer writes a line in pieces, byte for
// byte the line of JSON.stringify, and drops (and counts) whole lines while its output is full.
import { describe, expect, it } from 'vitest';
import { ProbeManager } from '../../src/manager/manager.js';
import { CATALOGUE, type Catalogue, type Interval, type SinkHealth } from '../../src/catalogue/catalogue.js';
import { intervalChunks, intervalFromJson, intervalToJson, intervalToLine, LINE_CHUNK_CHARS } from '../../src/catalogue/codec.js';
import type { Sink } from '../../src/catalogue/sink.js';
import { jsonSink } from '../../src/sinks/json.js';
import { Recorder } from '../../src/sinks/recorder.js';
import { readRecording } from '../../src/replay/format.js';
import { recordingHeader } from '../../src/replay/run.js';
import { createAppStore } from '../../src/store/store.js';
import { storeSink } from '../../src/store/store-sink.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { rememberJson } from '../../src/model/json-text.js';
import { execEvent } from '../ui/fixtures.js';

function setup(cat: Catalogue = CATALOGUE, extra: Sink[] = []) {
  const lines: string[] = [];
  const json = jsonSink(
    cat,
    (c) => {
      // Pieces of one line until its newline.
      if (lines.length === 0 || lines[lines.length - 1].endsWith('\n')) lines.push(c);
      else lines[lines.length - 1] += c;
    },
    null,
    () => {},
  );
  const recorded: Buffer[] = [];
  const recorder = new Recorder(
    cat,
    recordingHeader(cat, [0, 1], 1, 'test'),
    (b) => {
      recorded.push(b);
      return b.length;
    },
    { maxSize: null, maxRecords: null, onEnd: () => {} },
  );
  const store = createAppStore({
    catalogue: SCREEN_CATALOGUE,
    host: { hostname: 'h', kernel: 'k', cpus: [0, 1] },
    intervalS: 1,
    pinnedCpu: null,
    enabled: ['proc'],
  });
  let failing = true;
  let calls = 0;
  const thrower: Sink = {
    name: 'thrower',
    interval: () => {
      calls++;
      if (failing) throw new Error(`boom ${calls}\nsecond line`);
    },
  };
  const told: [string, SinkHealth][] = [];
  const listener: Sink = { name: 'listener', sinkHealth: (n, h) => told.push([n, h]) };
  let t = 0;
  const m = new ProbeManager(cat, {
    intervalS: 1,
    pid: null,
    comm: null,
    cpus: [0, 1],
    bpfReason: 'no BPF in this test',
    now: () => (t += 1000),
    sinks: [thrower, json, storeSink(store), recorder.sink, listener, ...extra],
  });
  return {
    m,
    lines,
    store,
    told,
    records: () => {
      const r = readRecording(Buffer.concat(recorded));
      if (!r.ok) throw new Error(r.error);
      return r.lines.map((l) => `${l}\n`);
    },
    heal: () => {
      failing = false;
    },
  };
}

describe('a sink that throws', () => {
  it('is reported (failed, one change told, errors counted in the line) and the other sinks receive every interval', async () => {
    const s = setup();
    await s.m.start(['proc']);
    s.m.tick();
    // The first line is computed before anything failed: as it always was.
    expect(JSON.parse(s.lines[0]).sinks).toBeUndefined();
    expect(s.told).toEqual([['thrower', { state: 'failed', reason: 'boom 1', errors: 1 }]]);
    expect(s.store.getState().notice).toBe('output thrower failed: boom 1 (the probes and the other outputs go on)');
    expect(s.store.getState().intervals).toBe(1);

    s.m.tick();
    s.m.tick();
    // Still failing: not told again; each line says so, with the count.
    expect(s.told).toHaveLength(1);
    expect(JSON.parse(s.lines[1]).sinks).toEqual({ thrower: { state: 'failed', reason: 'boom 1', errors: 1 } });
    expect(JSON.parse(s.lines[2]).sinks).toEqual({ thrower: { state: 'failed', reason: 'boom 2', errors: 2 } });
    expect(s.m.sinkHealth().json).toEqual({ state: 'running' });

    s.heal();
    s.m.tick();
    s.m.tick();
    expect(s.told).toEqual([
      ['thrower', { state: 'failed', reason: 'boom 1', errors: 1 }],
      ['thrower', { state: 'running', errors: 3 }],
    ]);
    expect(s.store.getState().notice).toBeNull();
    expect(JSON.parse(s.lines[4]).sinks).toEqual({ thrower: { state: 'running', errors: 3 } });

    // Every other sink got all five intervals: the lines, the store, the recording (the same bytes).
    expect(s.lines).toHaveLength(5);
    for (const l of s.lines) expect(JSON.parse(l).probes.proc.state).toBe('running');
    expect(s.store.getState().intervals).toBe(5);
    expect(s.records()).toEqual(s.lines);
    // `sinks` reads back (a replay prints the same line).
    for (const l of s.lines) expect(intervalToLine(CATALOGUE, intervalFromJson(CATALOGUE, JSON.parse(l)))).toBe(l);
    s.m.stop();
  });

  it('a feed batch a sink throws on does not fail the feed; the store still gets it', async () => {
    const events = [execEvent({ pid: 1 }), execEvent({ pid: 2 })];
    let given = false;
    const cat: Catalogue = CATALOGUE.map((spec) =>
      spec.name !== 'exec'
        ? spec
        : {
            ...spec,
            bpf: false,
            create: async () => ({
              name: 'exec',
              bpf: false,
              start: () => {},
              sample: () => [],
              drain: () => (given ? [] : ((given = true), events)),
              stop: () => {},
            }),
          },
    );
    const badFeed: Sink = {
      name: 'badfeed',
      feed: () => {
        throw new Error('feed boom');
      },
    };
    const s = setup(cat, [badFeed]);
    await s.m.start(['exec']);
    s.m.flushFeeds();
    expect(s.m.healthOf('exec').state).toBe('running');
    expect(s.store.getState().feeds.exec.lines.toArray()).toEqual(events);
    expect(s.told.map(([n, h]) => [n, h.state, h.reason])).toContainEqual(['badfeed', 'failed', 'feed boom']);
    s.m.stop();
  });
});

describe('the --json writer', () => {
  const big = (n: number, remember: boolean): Interval => {
    const exec = Array.from({ length: n }, (_, i) => execEvent({ pid: i, argv: ['x', 'é\\xff'.repeat(20 + (i % 7))] }));
    if (remember) for (const e of exec) rememberJson(e);
    return intervalFromJson(CATALOGUE, {
      time: '2026-12-07T14:00:00.000Z',
      interval_s: 1,
      pinned_cpu: null,
      probes: { exec: { state: 'running', lost: 3 } },
      exec,
    });
  };

  it('writes a line in pieces of about LINE_CHUNK_CHARS, byte for byte the JSON.stringify of the interval', () => {
    for (const remember of [false, true]) {
      const iv = big(3000, remember);
      const pieces = [...intervalChunks(CATALOGUE, iv)];
      expect(pieces.length).toBeGreaterThan(3);
      for (const p of pieces) expect(p.length).toBeLessThan(LINE_CHUNK_CHARS + 1000);
      expect(pieces.join('')).toBe(`${JSON.stringify(intervalToJson(CATALOGUE, iv))}\n`);
    }
  });

  it('a value JSON cannot write is null in its place: the line stays whole and parses', () => {
    const iv = big(2, false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cat: Catalogue = CATALOGUE.map((spec) => (spec.name === 'proc' ? { ...spec, toJson: () => ({ counters: cyclic }) } : spec));
    const line = intervalToLine(cat, iv);
    expect(JSON.parse(line).counters).toBeNull();
    expect(JSON.parse(line).exec).toHaveLength(2);
  });

  it('drops whole lines while its output holds more than its bound, counts them, says so once; the next line says how many', async () => {
    let queued = 0;
    const out: string[] = [];
    const said: string[] = [];
    const json = jsonSink(
      CATALOGUE,
      (c) => out.push(c),
      null,
      () => {},
      { backlog: () => queued, backlogMax: 1000, onFirstLost: (m) => said.push(m) },
    );
    let t = 0;
    const m = new ProbeManager(CATALOGUE, { intervalS: 1, pid: null, comm: null, cpus: [0, 1], bpfReason: 'no BPF', now: () => (t += 1000), sinks: [json] });
    await m.start(['proc']);
    m.tick();
    queued = 5000; // the reader stopped reading
    m.tick();
    m.tick();
    queued = 0; // and read it all
    m.tick();
    const lines = out.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]).sinks).toBeUndefined();
    expect(JSON.parse(lines[1]).sinks).toEqual({ json: { state: 'running', lost: 2 } });
    expect(json.lost()).toBe(2);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/lines dropped/);
    m.stop();
  });
});
