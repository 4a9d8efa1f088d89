import { describe, expect, it } from 'vitest';

import { OffcpuPane } from '../../src/ui/components/OffcpuPane.js';
import { RunqlatPane } from '../../src/ui/components/RunqlatPane.js';
import { ExecPane } from '../../src/ui/components/ExecPane.js';
import { OpenPane } from '../../src/ui/components/OpenPane.js';
import { TcpPane } from '../../src/ui/components/TcpPane.js';
import { ProcPane } from '../../src/ui/components/ProcPane.js';

import { Header } from '../../src/ui/components/Header.js';
import { StatusBar } from '../../src/ui/components/StatusBar.js';
import { TabRow } from '../../src/ui/components/TabRow.js';
import { HelpOverlay } from '../../src/ui/components/HelpOverlay.js';
import { countersSample, execEvent, fixtureStore, offcpuSample, openEvent, runqlatSample, running, tcpEvent } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import { screenEntry } from './fixtures.js';

const runqlat = screenEntry('runqlat');
const offcpu = screenEntry('offcpu');
const exec = screenEntry('exec');
const open = screenEntry('open');
const tcp = screenEntry('tcp');
const proc = screenEntry('proc');

const UNAVAIL = { state: 'unavailable' as const, reason: 'not built into this perfscope yet' };
const frameOf = (r: { lastFrame: () => string | undefined }) => stripSgr(r.lastFrame() ?? '');

describe('OffcpuPane', () => {
  it('shows the rows CPU by CPU, sorted by max_us, idle tasks hidden', () => {
    const f = frameOf(renderWith(fixtureStore(), <OffcpuPane spec={offcpu} width={80} height={12} />));
    expect(f).toContain('Off-CPU maxima (all CPUs)');
    expect(f).toMatch(/CPU\s+PID\s+TGID\s+COMM\s+MAX▼?\s+TOTAL/);
    const nginx = f.indexOf(' 888 ');
    const sshd = f.indexOf(' 777 ');
    const pg = f.indexOf(' 4242 ');
    expect(nginx).toBeGreaterThan(0);
    expect(nginx).toBeLessThan(sshd); // CPU 0: 99 ms before 1.5 ms
    expect(sshd).toBeLessThan(pg); // then CPU 1
    expect(f).toContain('99.0ms');
    expect(f).toContain('20.5ms');
    expect(f).toContain('kworker/1:0');
    expect(f).not.toContain('swapper/0');
  });

  it('shows idle tasks when asked, and only the pinned CPU when pinned', () => {
    const s = fixtureStore({ pinned: 0 });
    s.getState().toggleIdle();
    const f = frameOf(renderWith(s, <OffcpuPane spec={offcpu} width={80} height={12} />));
    expect(f).toContain('(CPU 0) +idle');
    expect(f).toContain('swapper/0');
    expect(f).toContain('nginx');
    expect(f).not.toContain('postgres');
  });

  it('shows the map overflow when non-zero', () => {
    const s = fixtureStore({ data: { offcpu: offcpuSample({ overflow: 17 }) } });
    expect(frameOf(renderWith(s, <OffcpuPane spec={offcpu} width={80} height={12} />))).toContain('map overflow: 17');
  });

  it('zero data: says nothing went off-CPU; before the first interval: waiting', () => {
    const s = fixtureStore({ data: { offcpu: { rows: [], idle: [], overflow: 0 } } });
    expect(frameOf(renderWith(s, <OffcpuPane spec={offcpu} width={80} height={12} />))).toContain('no task went off-CPU');
    const s2 = fixtureStore({ data: {} });
    expect(frameOf(renderWith(s2, <OffcpuPane spec={offcpu} width={80} height={12} />))).toContain('waiting for the first interval');
  });

  it('unavailable / failed / off: the state and the reason', () => {
    let f = frameOf(
      renderWith(
        fixtureStore({ health: { offcpu: { state: 'unavailable', reason: 'needs root (CAP_BPF and CAP_PERFMON)' } } }),
        <OffcpuPane spec={offcpu} width={80} height={12} />,
      ),
    );
    expect(f).toContain('[unavailable]');
    expect(f).toContain('needs root (CAP_BPF and CAP_PERFMON)');
    f = frameOf(
      renderWith(fixtureStore({ health: { offcpu: { state: 'failed', reason: 'load: EPERM' } } }), <OffcpuPane spec={offcpu} width={80} height={12} />),
    );
    expect(f).toContain('[failed]');
    expect(f).toContain('failed: load: EPERM');
    f = frameOf(renderWith(fixtureStore({ health: { offcpu: { state: 'off' } } }), <OffcpuPane spec={offcpu} width={80} height={12} />));
    expect(f).toContain('[off]');
    expect(f).toContain('press 1 to switch it on');
  });

  it('shows the BPF cost in its title', () => {
    const s = fixtureStore({ health: { offcpu: running({ run_ns: 1_000_000, run_cnt: 2000, ns_per_event: 500, lost: 0 }) } });
    expect(frameOf(renderWith(s, <OffcpuPane spec={offcpu} width={80} height={12} />))).toContain('500ns/run 2.0K runs/s');
  });
});

describe('RunqlatPane', () => {
  it('shows the histogram with count, p50, p99', () => {
    const f = frameOf(renderWith(fixtureStore(), <RunqlatPane spec={runqlat} width={80} height={14} />));
    expect(f).toContain('Run-queue latency (all CPUs)');
    expect(f).toContain('n=152');
    expect(f).toMatch(/4-7 +100 █/);
    expect(f).toContain('1024-2047');
  });
  it('pinned: the CPU histogram', () => {
    const f = frameOf(renderWith(fixtureStore({ pinned: 1 }), <RunqlatPane spec={runqlat} width={80} height={14} />));
    expect(f).toContain('(CPU 1)');
    expect(f).toMatch(/4-7 +50 /);
  });
  it('zero data and unavailable', () => {
    const zero = { ...runqlatSample(), all: new Array(27).fill(0), cpus: {}, count: 0 };
    expect(frameOf(renderWith(fixtureStore({ data: { runqlat: zero } }), <RunqlatPane spec={runqlat} width={80} height={14} />))).toContain(
      'no task waited for a CPU',
    );
    const f = frameOf(renderWith(fixtureStore({ health: { runqlat: UNAVAIL } }), <RunqlatPane spec={runqlat} width={80} height={14} />));
    expect(f).toContain('[unavailable]');
    expect(f).toContain('not built into this perfscope yet');
  });
});

describe('FeedPane', () => {
  it('exec: one line per event like execsnoop, newest at the bottom, fitting the height', () => {
    const s = fixtureStore();
    const evs = Array.from({ length: 30 }, (_, i) => execEvent({ pid: 5000 + i, argv: ['prog', `arg${i}`] }));
    s.getState().appendFeed('exec', evs);
    const f = frameOf(renderWith(s, <ExecPane spec={exec} width={80} height={10} />));
    const lines = f.split('\n');
    expect(lines.length).toBe(10);
    expect(f).toMatch(/TIME\s+COMM\s+PID\s+PPID\s+RET ARGS/);
    expect(f).toContain('prog arg29');
    expect(f).not.toContain('prog arg20 ');
    expect(f.indexOf('arg28')).toBeLessThan(f.indexOf('arg29'));
    expect(f).toContain('06:07:08');
  });

  it('exec: a failed exec shows its errno name and a truncated argv is marked', () => {
    const s = fixtureStore();
    s.getState().appendFeed('exec', [execEvent({ ret: -2, ret_name: 'ENOENT', argv: ['nope', 'x'], argv_truncated: true })]);
    const f = frameOf(renderWith(s, <ExecPane spec={exec} width={80} height={8} />));
    expect(f).toContain('ENOENT nope x …');
  });

  it('open: like opensnoop (fd, error name, path)', () => {
    const s = fixtureStore();
    s.getState().appendFeed('open', [openEvent(), openEvent({ path: '/nonexistent', fd: null, errno: 2, errno_name: 'ENOENT' })]);
    const f = frameOf(renderWith(s, <OpenPane spec={open} width={80} height={8} />));
    expect(f).toMatch(/cat\s+6001\s+3\s+\/etc\/passwd/);
    expect(f).toMatch(/cat\s+6001\s+-1 ENOENT\s+\/nonexistent/);
  });

  it('tcp: like tcpconnect (kind, addresses, ports; IPv6 in brackets)', () => {
    const s = fixtureStore();
    s.getState().appendFeed('tcp', [tcpEvent(), tcpEvent({ kind: 'accept', family: 6, saddr: '::1', sport: 22, daddr: '::1', dport: 51000 })]);
    const f = frameOf(renderWith(s, <TcpPane spec={tcp} width={80} height={8} />));
    expect(f).toContain('10.0.0.2:40000');
    expect(f).toContain('93.184.216.34:443');
    expect(f).toMatch(/acc \[::1\]:22\s+\[::1\]:51000/);
  });

  it('shows lost counts and the filter', () => {
    const s = fixtureStore({ health: { exec: running({ run_ns: 100, run_cnt: 10, ns_per_event: 10, lost: 7 }) } });
    s.getState().commitInterval({
      ...s.getState().latest!,
      probes: { ...s.getState().latest!.probes, exec: running({ run_ns: 100, run_cnt: 10, ns_per_event: 10, lost: 5 }) },
    });
    s.getState().appendFeed('exec', [execEvent({ argv: ['alpha'] }), execEvent({ argv: ['beta'] })]);
    s.getState().setFocus('exec');
    s.getState().setFilter('exec', 'bet');
    const f = frameOf(renderWith(s, <ExecPane spec={exec} width={100} height={8} />));
    expect(f).toContain('lost 5');
    expect(f).toContain('lost 12 total');
    expect(f).toContain('filter /bet (1 match)');
    expect(f).toContain('beta');
    expect(f).not.toContain('alpha');
  });

  it('zero events, and unavailable (open and tcp are not built yet)', () => {
    expect(frameOf(renderWith(fixtureStore(), <ExecPane spec={exec} width={80} height={8} />))).toContain('no event yet');
    for (const name of ['open', 'tcp'] as const) {
      const f = frameOf(
        renderWith(
          fixtureStore({ health: { [name]: UNAVAIL } }),
          name === 'open' ? <OpenPane spec={open} width={80} height={8} /> : <TcpPane spec={tcp} width={80} height={8} />,
        ),
      );
      expect(f).toContain('[unavailable]');
      expect(f).toContain('unavailable: not built into this perfscope yet');
    }
  });

  it('paused: shows the events frozen at pause', () => {
    const s = fixtureStore();
    s.getState().appendFeed('exec', [execEvent({ argv: ['before'] })]);
    s.getState().togglePause();
    s.getState().appendFeed('exec', [execEvent({ argv: ['after'] })]);
    const f = frameOf(renderWith(s, <ExecPane spec={exec} width={80} height={8} />));
    expect(f).toContain('before');
    expect(f).not.toContain('after');
  });
});

describe('CountersPane', () => {
  it('compact at 80x24: load, CPUs (the pinned one highlighted), vmstat, mem, disks, net, tcp, top', () => {
    const r = renderWith(fixtureStore({ pinned: 1 }), <ProcPane spec={proc} width={80} height={21} />);
    const f = frameOf(r);
    for (const t of ['load 1.25 0.50 0.25', '%usr', 'vmstat r 3 b 1', 'mem MiB total 24105', 'vda', 'eth0', 'tcp/s active 1', 'cc1plus'])
      expect(f).toContain(t);
    expect(f.split('\n').length).toBe(21);
    // The pinned CPU's row is drawn inverse (SGR 7) when styles are on.
    const raw = r.lastFrame() ?? '';
    const line1 = raw.split('\n').find((l) => /│\S*1 +10\.0/.test(stripSgr(l)));
    expect(line1).toBeDefined();
  });
  it('larger: every CPU and more columns', () => {
    const cpu = countersSample().cpu;
    const many: Record<string, (typeof cpu)['all']> = { all: cpu.all };
    for (let i = 0; i < 16; i++) many[String(i)] = { ...cpu['0'], idle: 100 - i };
    const small = frameOf(renderWith(fixtureStore({ data: { proc: countersSample({ cpu: many }) } }), <ProcPane spec={proc} width={80} height={21} />));
    expect(small).toMatch(/\(\d+\/16\)/);
    const big = frameOf(renderWith(fixtureStore({ data: { proc: countersSample({ cpu: many }) } }), <ProcPane spec={proc} width={120} height={45} />));
    expect(big).not.toMatch(/\(\d+\/16\)/);
    expect(big).toContain('%guest');
    expect(big).toMatch(/\n│15 /);
  });
  it('zero data (first interval not yet) and failed', () => {
    expect(frameOf(renderWith(fixtureStore({ data: {} }), <ProcPane spec={proc} width={80} height={21} />))).toContain('waiting for the first interval');
    const f = frameOf(
      renderWith(fixtureStore({ health: { proc: { state: 'failed', reason: 'ENOENT /proc/stat' } } }), <ProcPane spec={proc} width={80} height={21} />),
    );
    expect(f).toContain('failed: ENOENT /proc/stat');
  });
});

describe('Header, status line, tab row, help', () => {
  it('header: host, kernel, uptime, load, CPUs, pin, interval, live/paused', () => {
    const s = fixtureStore({ pinned: 1 });
    let f = frameOf(renderWith(s, <Header width={120} />));
    for (const t of ['testhost', '6.1.0-27-cloud-amd64', 'up 3d04h', 'load 1.25 0.50 0.25', 'cpus 0-1', 'pin CPU 1', '1s', 'live']) expect(f).toContain(t);
    s.getState().togglePause();
    f = frameOf(renderWith(s, <Header width={80} />));
    expect(f).toContain('PAUSED');
    expect(f).toContain('pin CPU 1');
    expect(f).toContain('6.1.0-27');
    expect(f.length).toBeLessThanOrEqual(80);
  });
  it('status line: every probe state, cost, lost; unavailable as n/a', () => {
    const s = fixtureStore({
      health: {
        offcpu: running({ run_ns: 1e6, run_cnt: 2000, ns_per_event: 500, lost: 3 }),
        open: UNAVAIL,
        tcp: { state: 'failed', reason: 'x' },
        runqlat: { state: 'off' },
      },
    });
    const wide = frameOf(renderWith(s, <StatusBar width={160} />));
    expect(wide).toContain('1 offcpu on 500ns 2.0K/s lost 3');
    expect(wide).toContain('2 runqlat off');
    expect(wide).toContain('4 open n/a');
    expect(wide).toContain('5 tcp FAILED');
    const narrow = frameOf(renderWith(s, <StatusBar width={80} />));
    expect(narrow.length).toBeLessThanOrEqual(80);
    expect(narrow).toContain('lost 3');
    expect(narrow).toContain('open n/a');
  });
  it('tab row marks the shown pane and probes not running', () => {
    const s = fixtureStore({ health: { open: UNAVAIL } });
    s.getState().setFocus('exec');
    const f = frameOf(renderWith(s, <TabRow width={80} />));
    expect(f).toContain('[exec]');
    expect(f).toContain('open n/a');
  });
  it('help lists every key', () => {
    const f = frameOf(renderWith(fixtureStore(), <HelpOverlay width={80} height={20} />));
    for (const k of ['q, Ctrl-C', '1 2 3 4 5', '] [', 'space', 'Tab', '/', 'i ']) expect(f).toContain(k);
  });
});
