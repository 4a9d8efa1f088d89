// The --json writer and its inverse (what a replay source reads back): for every probe of the
// catalogue, fromJson undoes toJson, so a line read back is the interval that was written.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, probeNames, type Interval } from '../../src/catalogue/catalogue.js';
import { intervalFromJson, intervalToJson, intervalToLine } from '../../src/catalogue/codec.js';
import {
  countersSample,
  execEvent,
  isolationSample,
  offcpuSample,
  runqlatSample,
  traceSample,
  profileSample,
  TS,
  nullData,
  offHealth,
} from '../ui/fixtures.js';

const IV: Interval = {
  time: new Date(TS).toISOString(),
  interval_s: 1.002,
  pinned_cpu: 1,
  probes: {
    ...offHealth(),
    offcpu: { state: 'running', cost: { run_ns: 2000, run_cnt: 4, ns_per_event: 500, lost: 2 } },
    runqlat: { state: 'running', cost: { run_ns: 10, run_cnt: 1, ns_per_event: 10, lost: 0 } },
    exec: { state: 'running', cost: { run_ns: 0, run_cnt: 0, ns_per_event: null, lost: 0 } },
    open: { state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' },
    tcp: { state: 'failed', reason: 'load: boom' },
    proc: { state: 'running' },
    trace: { state: 'running', cost: { run_ns: 320000, run_cnt: 1250, ns_per_event: 256, lost: 3 } },
    profile: { state: 'running', cost: { run_ns: 700000, run_cnt: 98, ns_per_event: 7142.9, lost: 0 } },
    isolation: { state: 'running', cost: { run_ns: 9000, run_cnt: 10, ns_per_event: 900, lost: 0 } },
  },
  data: {
    ...nullData(),
    offcpu: offcpuSample({ overflow: 2 }),
    runqlat: runqlatSample(),
    exec: [execEvent(), execEvent({ pid: 2, argv: ['x\\e'] })],
    open: null,
    tcp: null,
    proc: countersSample(),
    trace: traceSample(),
    profile: profileSample(),
    isolation: isolationSample(),
  },
};

describe('--json and back', () => {
  it('every probe reads back what it wrote: the same interval, the same line', () => {
    const line = intervalToLine(CATALOGUE, IV);
    const back = intervalFromJson(CATALOGUE, JSON.parse(line));
    expect(back).toEqual(IV);
    expect(intervalToLine(CATALOGUE, back)).toBe(line);
  });

  it('the line keeps the contract: top-level keys in order, offcpu split from its idle rows, counters for proc', () => {
    const j = intervalToJson(CATALOGUE, IV);
    // Every probe's keys after the interval's own, in catalogue order (a probe added later adds its own);
    // those of today's probes, in this order, are the contract scripts read.
    const keys = Object.keys(j);
    expect(keys).toEqual(['time', 'interval_s', 'pinned_cpu', 'probes', ...CATALOGUE.flatMap((s) => Object.keys(s.toJson(null)))]);
    const contract = [
      'time',
      'interval_s',
      'pinned_cpu',
      'probes',
      'offcpu',
      'offcpu_idle',
      'offcpu_stacks',
      'runqlat',
      'exec',
      'open',
      'tcp',
      'counters',
      'trace',
      'profile',
      'isolation',
    ];
    expect(keys.filter((k) => contract.includes(k))).toEqual(contract);
    expect(j.offcpu).toEqual(IV.data.offcpu?.rows);
    expect(j.offcpu_idle).toEqual(IV.data.offcpu?.idle);
    expect(j.counters).toEqual(IV.data.proc);
    const names = Object.keys(j.probes as object);
    expect(names).toEqual(probeNames(CATALOGUE));
    const today = ['offcpu', 'runqlat', 'exec', 'open', 'tcp', 'proc', 'trace', 'profile', 'isolation'];
    expect(names.filter((n) => today.includes(n))).toEqual(today);
  });

  it('a line of another shape reads as probes that did not run, never a throw', () => {
    const back = intervalFromJson(CATALOGUE, { time: 5, probes: { offcpu: { state: 'bogus' } }, offcpu: 'x', runqlat: { all: 1 }, exec: {}, counters: [] });
    expect(back.probes.offcpu).toEqual({ state: 'off' });
    expect(Object.values(back.data)).toEqual(CATALOGUE.map(() => null));
    expect(Object.keys(back.data)).toEqual(probeNames(CATALOGUE));
    expect(back.interval_s).toBe(0);
    expect(back.pinned_cpu).toBeNull();
  });
});
