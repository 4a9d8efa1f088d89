// The Prometheus sink, pure: the exposition of fixture intervals is valid (promtool check metrics),
// label values are escaped (a hostile comm cannot inject a line or a control character), the
// histogram is cumulative and consistent, the off-CPU gauges hold the top N only, the counters add
// up across intervals, OpenMetrics ends with # EOF; plus --listen's parsing and content negotiation.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Catalogue, type CatalogueEntry, type Interval, type IntervalData } from '../../src/catalogue/catalogue.js';
import type { ProbeHealth } from '../../src/probes/types.js';
import type { OffcpuRow } from '../../src/probes/offcpu-spec.js';
import { escapeLabelValue, PrometheusSink } from '../../src/sinks/prometheus.js';
import { parseListen, wantsOpenMetrics } from '../../src/sinks/prometheus-http.js';
import { parseOptions } from '../../src/cli/args.js';
import {
  countersSample,
  ESC,
  execEvent,
  isolationSample,
  offcpuSample,
  openEvent,
  RAW_CONTROL,
  runqlatSample,
  tcpEvent,
  traceSample,
  TS,
  nullData,
  offHealth,
} from '../ui/fixtures.js';
import { parseExposition, pick, promtoolCheck } from '../helpers/prom.js';

const running = (cost?: ProbeHealth['cost']): ProbeHealth => (cost ? { state: 'running', cost } : { state: 'running' });

function interval(data: Partial<IntervalData> = {}, probes: Partial<Interval['probes']> = {}): Interval {
  return {
    time: new Date(TS).toISOString(),
    interval_s: 1,
    pinned_cpu: null,
    probes: {
      ...offHealth(),
      offcpu: running({ run_ns: 2000, run_cnt: 4, ns_per_event: 500, lost: 2 }),
      runqlat: running({ run_ns: 1000, run_cnt: 10, ns_per_event: 100, lost: 0 }),
      exec: running({ run_ns: 0, run_cnt: 0, ns_per_event: null, lost: 1 }),
      open: running({ run_ns: 0, run_cnt: 0, ns_per_event: null, lost: 0 }),
      tcp: { state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' },
      proc: running(),
      trace: running(),
      profile: running(),
      isolation: running({ run_ns: 900, run_cnt: 1, ns_per_event: 900, lost: 0 }),
      ...probes,
    },
    data: {
      ...nullData(),
      offcpu: offcpuSample(),
      runqlat: runqlatSample(),
      exec: [execEvent(), execEvent({ ret: -2, ret_name: 'ENOENT' })],
      open: [openEvent(), openEvent({ fd: null, errno: 13, errno_name: 'EACCES' }), openEvent()],
      tcp: [tcpEvent(), tcpEvent({ kind: 'accept' })],
      proc: countersSample(),
      trace: null,
      profile: null,
      isolation: isolationSample(),
      ...data,
    },
  };
}

function sinkWith(ivs: Interval[], opts = { top: 5, node: false }, cat: Catalogue = CATALOGUE): PrometheusSink {
  const s = new PrometheusSink(cat, opts);
  for (const iv of ivs) s.interval(iv);
  return s;
}

const row = (cpu: number, pid: number, max_us: number, comm = `task${pid}`): OffcpuRow => ({
  cpu,
  pid,
  tgid: pid,
  comm,
  max_us,
  total_us: max_us * 2,
  returns: 1,
  preempted: 0,
  preempted_by: null,
});

describe('the exposition of fixture intervals', () => {
  it('passes promtool check metrics: exit 0, no problem reported', () => {
    const text = sinkWith([interval(), interval()]).exposition('text');
    const r = promtoolCheck(text);
    expect(r).toEqual({ status: 0, output: '' });
    // Every family has HELP and TYPE, one prefix; base units; counters end in _total.
    const names = new Set(parseExposition(text).map((s) => s.name));
    for (const n of names) expect(n).toMatch(/^perfscope_/);
    for (const t of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      expect(text).toContain(`# HELP ${t[1]} `);
      if (t[2] === 'counter') expect(t[1]).toMatch(/_total$/);
    }
    expect([...names].filter((n) => /millis|micro|_us\b|_ms\b/.test(n))).toEqual([]);
  });

  it('OpenMetrics: the same samples, counter families named without _total, ending with # EOF', () => {
    const s = sinkWith([interval()]);
    const om = s.exposition('openmetrics');
    expect(om.endsWith('\n# EOF\n')).toBe(true);
    expect(om.match(/# EOF/g)).toHaveLength(1);
    expect(om).toContain('# TYPE perfscope_exec_events counter\n');
    expect(om).toContain('perfscope_exec_events_total{result="ok"} 1\n');
    expect(parseExposition(om)).toEqual(parseExposition(s.exposition('text')));
  });

  it('tracepoints: hits per tracepoint (and field), cumulative over intervals; promtool passes', () => {
    const text = sinkWith([interval({ trace: traceSample() }), interval({ trace: null }), interval({ trace: traceSample() })]).exposition('text');
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
    const samples = parseExposition(text);
    expect(pick(samples, 'perfscope_tracepoint_hits_total', { tracepoint: 'sched:sched_process_fork' }).map((x) => x.value)).toEqual([100]);
    expect(pick(samples, 'perfscope_tracepoint_hits_total', { tracepoint: 'block:block_rq_issue', field: 'bytes' }).map((x) => x.value)).toEqual([2020]);
  });

  it('before the first interval: only the interval counter, at 0', () => {
    const s = new PrometheusSink(CATALOGUE, { top: 5, node: false });
    expect(parseExposition(s.exposition('text'))).toEqual([{ name: 'perfscope_intervals_total', labels: {}, value: 0 }]);
  });
});

describe('label values', () => {
  const hostile = `ev"il\\x\n${ESC}[31m\x07\u009b\u202e\x7f`;

  it('escape \\, " and newline, and write every other control as text: nothing raw reaches the output', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeLabelValue(`${ESC}[1m`)).toBe('\\\\x1b[1m');
    expect(escapeLabelValue('\u202e')).toBe('\\\\u{202e}');
    expect(escapeLabelValue('\ud800')).toBe('\\\\u{d800}');
    expect(escapeLabelValue('café 日本')).toBe('café 日本');

    const text = sinkWith([interval({ offcpu: offcpuSample({ rows: [row(0, 66, 5000, hostile), row(0, 67, 10)] }) })]).exposition('text');
    for (const line of text.split('\n')) expect(line).not.toMatch(RAW_CONTROL);
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
    const got = pick(parseExposition(text), 'perfscope_offcpu_max_seconds', { pid: '66' });
    expect(got).toHaveLength(1);
    // Read back: the quote, the backslash and the newline as they were; the controls as text.
    expect(got[0].labels.comm).toBe('ev"il\\x\n\\x1b[31m\\x07\\x9b\\u{202e}\\x7f');
    expect(got[0].value).toBe(0.005);
    // The line after it is still its own sample, not part of the comm.
    expect(pick(parseExposition(text), 'perfscope_offcpu_max_seconds', { pid: '67' })).toHaveLength(1);
  });
});

describe('run-queue latency histogram', () => {
  it('per CPU, cumulative over intervals, buckets at 2^(k+1) us, monotonic, +Inf = _count, the last slot only in +Inf', () => {
    const rq = runqlatSample();
    rq.cpus['1'][26] = 3; // the kernel's last slot: every wait of 2^26 us and more
    const text = sinkWith([interval({ runqlat: rq }), interval()]).exposition('text');
    const samples = parseExposition(text);
    const fix = runqlatSample();
    for (const cpu of ['0', '1']) {
      const buckets = pick(samples, 'perfscope_runqueue_latency_seconds_bucket', { cpu });
      expect(buckets.map((b) => b.labels.le)).toEqual([...Array.from({ length: 26 }, (_, k) => String(2 ** (k + 1) / 1e6)), '+Inf']);
      expect(buckets[0].labels.le).toBe('0.000002');
      expect(buckets[25].labels.le).toBe('67.108864');
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
      const count = pick(samples, 'perfscope_runqueue_latency_seconds_count', { cpu })[0].value;
      expect(buckets[buckets.length - 1].value).toBe(count);
      // Exact: two intervals of the fixture's counts (plus the 3 long waits on CPU 1).
      const expected = 2 * fix.cpus[cpu].reduce((a, b) => a + b, 0) + (cpu === '1' ? 3 : 0);
      expect(count).toBe(expected);
      // Bucket k cumulates slots 0..k.
      const slot2 = fix.cpus[cpu][0] + fix.cpus[cpu][1] + fix.cpus[cpu][2];
      expect(buckets[2].value).toBe(2 * slot2);
      expect(buckets[25].value).toBe(2 * fix.cpus[cpu].reduce((a, b) => a + b, 0));
    }
    // _sum: the CPUs' add up to the exact total (mean_us x count per interval), in seconds.
    const sums = pick(samples, 'perfscope_runqueue_latency_seconds_sum');
    expect(sums).toHaveLength(2);
    const total = sums.reduce((a, s) => a + s.value, 0);
    expect(total).toBeCloseTo((155 * 30 + 152 * 30) / 1e6, 9);
    // No series of "all" CPUs: PromQL sums them.
    expect(samples.filter((s) => s.labels.cpu === 'all')).toEqual([]);
  });

  it('no series before runqlat has run', () => {
    const text = sinkWith([interval({ runqlat: null })]).exposition('text');
    expect(text).not.toContain('perfscope_runqueue_latency_seconds');
  });
});

describe('off-CPU gauges', () => {
  it('the last interval only, the top N tasks of each CPU, a series gone when its task left the top', () => {
    const rows = [
      ...[10, 50, 20, 70, 30, 60, 40, 80].map((ms, i) => row(0, 100 + i, ms * 1000)),
      row(1, 200, 3000),
      row(1, 201, 1000),
      row(1, 202, 2000),
      row(0, 103, 1), // the same task twice (cannot happen; must not give a duplicate series)
    ];
    const s = sinkWith([interval({ offcpu: offcpuSample({ rows }) })], { top: 3, node: false });
    let got = pick(parseExposition(s.exposition('text')), 'perfscope_offcpu_max_seconds');
    expect(got.map((g) => [g.labels.cpu, g.labels.pid, g.value])).toEqual([
      ['0', '107', 0.08],
      ['0', '103', 0.07],
      ['0', '105', 0.06],
      ['1', '200', 0.003],
      ['1', '202', 0.002],
      ['1', '201', 0.001],
    ]);
    expect(pick(parseExposition(s.exposition('text')), 'perfscope_offcpu_seconds', { pid: '107' })[0].value).toBe(0.16);
    // Idle tasks are not exported.
    expect(got.filter((g) => g.labels.pid === '0')).toEqual([]);

    s.interval(interval({ offcpu: offcpuSample({ rows: [row(0, 105, 5000), row(0, 999, 1000)] }) }));
    got = pick(parseExposition(s.exposition('text')), 'perfscope_offcpu_max_seconds');
    expect(got.map((g) => g.labels.pid)).toEqual(['105', '999']);

    s.interval(interval({ offcpu: null }, { offcpu: { state: 'off' } }));
    expect(s.exposition('text')).not.toContain('perfscope_offcpu_max_seconds');
  });

  it('--prom-top: 1 keeps the worst task of each CPU', () => {
    const got = pick(parseExposition(sinkWith([interval()], { top: 1, node: false }).exposition('text')), 'perfscope_offcpu_max_seconds');
    expect(got.map((g) => [g.labels.cpu, g.labels.comm])).toEqual([
      ['0', 'nginx'],
      ['1', 'postgres'],
    ]);
  });
});

describe('feed counters and probe health', () => {
  it('count every listed event, cumulative; every label value from the first interval on; a probe that is off adds nothing', () => {
    const s = sinkWith([interval(), interval(), interval({ exec: null, tcp: null }, { exec: { state: 'off' } })]);
    const m = parseExposition(s.exposition('text'));
    const v = (name: string, labels: Record<string, string>) => pick(m, name, labels).map((x) => x.value);
    expect(v('perfscope_exec_events_total', { result: 'ok' })).toEqual([2]);
    expect(v('perfscope_exec_events_total', { result: 'error' })).toEqual([2]);
    expect(v('perfscope_open_events_total', { result: 'ok' })).toEqual([6]);
    expect(v('perfscope_open_events_total', { result: 'error' })).toEqual([3]);
    expect(v('perfscope_tcp_events_total', { kind: 'connect' })).toEqual([2]);
    expect(v('perfscope_tcp_events_total', { kind: 'accept' })).toEqual([2]);

    const zero = sinkWith([interval({ exec: [] })]);
    expect(pick(parseExposition(zero.exposition('text')), 'perfscope_exec_events_total').map((x) => [x.labels.result, x.value])).toEqual([
      ['ok', 0],
      ['error', 0],
    ]);

    expect(v('perfscope_intervals_total', {})).toEqual([3]);
    expect(v('perfscope_probe_up', { probe: 'exec' })).toEqual([0]);
    expect(v('perfscope_probe_up', { probe: 'offcpu' })).toEqual([1]);
    expect(v('perfscope_probe_state', { probe: 'exec', state: 'off' })).toEqual([1]);
    expect(v('perfscope_probe_state', { probe: 'tcp', state: 'unavailable' })).toEqual([1]);
    expect(pick(m, 'perfscope_probe_state', { probe: 'tcp' }).reduce((a, x) => a + x.value, 0)).toBe(1);
    expect(v('perfscope_probe_run_seconds_total', { probe: 'offcpu' })).toEqual([6e-6]);
    expect(v('perfscope_probe_runs_total', { probe: 'runqlat' })).toEqual([30]);
    expect(v('perfscope_probe_lost_events_total', { probe: 'offcpu' })).toEqual([6]);
    expect(v('perfscope_probe_lost_events_total', { probe: 'exec' })).toEqual([2]);
  });

  it('the per-probe families are there for every catalogue entry, also one without exporter', () => {
    const dummy: CatalogueEntry<'dummy', number, never> = {
      name: 'dummy',
      kind: 'aggregate',
      bpf: false,
      create: async () => {
        throw new Error('not started');
      },
      toJson: () => ({}),
      fromJson: () => null,
    };
    const cat = [...CATALOGUE, dummy] as unknown as Catalogue;
    const m = parseExposition(sinkWith([interval()], { top: 5, node: false }, cat).exposition('text'));
    for (const name of ['perfscope_probe_up', 'perfscope_probe_run_seconds_total', 'perfscope_probe_runs_total', 'perfscope_probe_lost_events_total']) {
      expect(pick(m, name).map((x) => x.labels.probe)).toEqual([...CATALOGUE.map((c) => c.name), 'dummy']);
    }
    expect(pick(m, 'perfscope_probe_state', { probe: 'dummy', state: 'off' })[0].value).toBe(1);
  });
});

describe('--prom-node', () => {
  it('off by default; on, node_exporter names with its units, the counters rebuilt from the rates', () => {
    expect(sinkWith([interval()]).exposition('text')).not.toMatch(/^node_/m);
    const text = sinkWith([interval(), interval()], { top: 5, node: true }).exposition('text');
    const m = parseExposition(text);
    const v = (n: string) => pick(m, n).map((x) => x.value);
    expect(v('node_load1')).toEqual([1.25]);
    expect(v('node_load15')).toEqual([0.25]);
    expect(v('node_procs_running')).toEqual([3]);
    expect(v('node_memory_MemAvailable_bytes')).toEqual([Math.round(23413.6 * 1048576)]);
    expect(v('node_context_switches_total')).toEqual([2 * 1789]);
    expect(v('node_intr_total')).toEqual([2 * 1145]);
    // promtool's only remarks: node_exporter's own camelCase meminfo names.
    const r = promtoolCheck(text);
    const problems = r.output.split('\n').filter((l) => l && !/^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
    expect(problems).toEqual([]);
  });
});

describe('--listen and its flags', () => {
  it('parses [ADDR:]PORT: 127.0.0.1 by default, IPv4, IPv6 in brackets; refuses the rest', () => {
    expect(parseListen('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListen('[::]:1')).toEqual({ host: '::', port: 1 });
    for (const bad of [
      '',
      '0',
      '65536',
      '99999999',
      'http',
      '-1',
      '9100x',
      ':9100',
      'localhost:9100',
      '::1:9100',
      '[::1]',
      '1.2.3:9100',
      '[1.2.3.4]:9100',
      '1.2.3.4:',
      '1.2.3.4:80:80',
    ]) {
      expect(() => parseListen(bad), bad).toThrow(/--listen/);
    }
  });

  it('--no-screen needs --listen; --prom-top is bounded and needs --listen', () => {
    const o = parseOptions(['--listen', '9100', '--no-screen', '--prom-top', '7', '--prom-node'], [0, 1]);
    expect(o).toMatchObject({ listen: { host: '127.0.0.1', port: 9100 }, noScreen: true, promTop: 7, promNode: true });
    expect(parseOptions([], [0, 1])).toMatchObject({ listen: null, noScreen: false, promTop: 5, promNode: false });
    expect(parseOptions(['--listen', '9100', '--json'], [0, 1])).toMatchObject({ json: true, listen: { port: 9100 } });
    expect(() => parseOptions(['--no-screen'], [0, 1])).toThrow(/--no-screen only goes with --listen/);
    expect(() => parseOptions(['--prom-top', '3'], [0, 1])).toThrow(/only go with --listen/);
    expect(() => parseOptions(['--prom-node'], [0, 1])).toThrow(/only go with --listen/);
    for (const bad of ['0', '101', 'x']) expect(() => parseOptions(['--listen', '9100', '--prom-top', bad], [0, 1])).toThrow(/--prom-top/);
  });

  it('asks for OpenMetrics only when the Accept header does (as Prometheus sends it)', () => {
    expect(
      wantsOpenMetrics('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'),
    ).toBe(true);
    expect(wantsOpenMetrics('Application/OpenMetrics-Text; version=1.0.0')).toBe(true);
    expect(wantsOpenMetrics('application/openmetrics-text;q=0, text/plain')).toBe(false);
    expect(wantsOpenMetrics('text/plain;version=0.0.4')).toBe(false);
    expect(wantsOpenMetrics('*/*')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});
