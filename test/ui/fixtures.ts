// Fixture data of the shapes the probes produce (the same as --json), and a store holding them.
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { CATALOGUE, findProbe, probeNames, type Catalogue, type Interval, type IntervalData, type ProbeName } from '../../src/catalogue/catalogue.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import type { ScreenCatalogue, ScreenEntry } from '../../src/views/view.js';
import type { ProbeHealth } from '../../src/probes/types.js';
import type { OffcpuSample } from '../../src/probes/offcpu-spec.js';
import type { RunqlatSample } from '../../src/probes/runqlat-spec.js';
import type { CountersSample } from '../../src/probes/proc/types.js';
import type { ExecEvent as ExecEventView } from '../../src/probes/exec-spec.js';
import type { OpenEvent as OpenEventView } from '../../src/probes/open-spec.js';
import type { TcpEvent as TcpEventView } from '../../src/probes/tcp-spec.js';
import { traceHist, type TraceSample } from '../../src/probes/trace-spec.js';
import type { ProfileSample } from '../../src/probes/profile-spec.js';
import type { IsolationSample } from '../../src/probes/isolation-spec.js';

export const ESC = '\x1b';
export const CSI_C1 = '\u009b';
export const RLO = '\u202e';

export const TS = new Date(2026, 10, 25, 6, 7, 8).getTime();

export function offcpuSample(over: Partial<OffcpuSample> = {}): OffcpuSample {
  return {
    rows: [
      { cpu: 1, pid: 4242, tgid: 4240, comm: 'postgres', max_us: 20512.3, total_us: 40000, returns: 12, preempted: 3, preempted_by: 'kworker/1:0' },
      { cpu: 0, pid: 777, tgid: 777, comm: 'sshd', max_us: 1500, total_us: 1800, returns: 4, preempted: 0, preempted_by: null },
      { cpu: 0, pid: 888, tgid: 880, comm: 'nginx', max_us: 99000, total_us: 120000, returns: 40, preempted: 5, preempted_by: 'sshd' },
    ],
    idle: [{ cpu: 0, pid: 0, tgid: 0, comm: 'swapper/0', max_us: 500000, total_us: 900000, returns: 200, preempted: 200, preempted_by: 'nginx' }],
    overflow: 0,
    stacks: null,
    ...over,
  };
}

export function runqlatSample(): RunqlatSample {
  const all = new Array(27).fill(0);
  all[2] = 100;
  all[3] = 50;
  all[10] = 2;
  return {
    unit: 'us',
    all,
    cpus: { '0': all.map((v) => Math.floor(v / 2)), '1': all.map((v) => v - Math.floor(v / 2)) },
    count: 152,
    p50_us: 5,
    p99_us: 1500,
    mean_us: 30,
    max_bucket: 10,
  };
}

/** Two stacks: main › mid_b › leaf_a (with a kernel part) and a stripped one with a hostile comm. */
export function profileSample(): ProfileSample {
  const f = (sym: string | null, module: string, offset: number, addr = '0x401136') => ({ addr, sym, module, offset });
  return {
    hz: 49,
    cpus: [0, 1],
    samples: 90,
    idle: 8,
    lost: 0,
    other: 0,
    symbolize_ms: 0.4,
    stacks: [
      {
        pid: 4242,
        tgid: 4242,
        comm: 'burner',
        user_frames: 3,
        count: 60,
        frames: [
          f('main', '/usr/bin/burner', 20),
          f('mid_b', '/usr/bin/burner', 9),
          f('leaf_a', '/usr/bin/burner', 30),
          f('asm_sysvec_apic_timer_interrupt', '[kernel]', 26, '0xffffffff81e00c8a'),
        ],
      },
      { pid: 77, tgid: 77, comm: 'evil\\e[31m', user_frames: 1, count: 30, truncated: true, frames: [f(null, '/tmp/stripped', 0x1139)] },
    ],
  };
}

/** CPU 1, isolated by a cgroup partition: a resident, a kworker and a hostile intruder, interrupts (one with a hostile name), softirqs, drops. */
export function isolationSample(over: Partial<IsolationSample> = {}): IsolationSample {
  return {
    cpu: 1,
    source: 'isolated',
    isolated: { cpus: [1], isolcpus: [], nohz_full: [1], partitions: [{ cgroup: '/rt', mode: 'isolated', cpus: [1] }] },
    span_s: 1,
    tasks: [
      {
        pid: 4242,
        tgid: 4242,
        comm: 'poller',
        kind: 'resident',
        on_us: 980_000,
        runs: 21,
        max_run_us: 49_000,
        displaced: { pid: 0, comm: 'idle' },
        running: true,
      },
      {
        pid: 77,
        tgid: 77,
        comm: 'kworker/1:2',
        kind: 'kworker',
        on_us: 15_000.5,
        runs: 20,
        max_run_us: 900,
        displaced: { pid: 4242, comm: 'poller' },
        running: false,
      },
      {
        pid: 666,
        tgid: 666,
        comm: `evil${ESC}]0;pwned\u0007`,
        kind: 'task',
        on_us: 2_000,
        runs: 1,
        max_run_us: 2_000,
        displaced: { pid: 4242, comm: 'poller' },
        running: false,
      },
    ],
    other_tasks: 1,
    other_us: 12.5,
    idle_us: 2_000,
    resident_off: { count: 21, max_us: 1_500.5, total_us: 16_000, by_pid: 77, by_comm: 'kworker/1:2', preempted: true },
    irqs: [
      { name: 'LOC', desc: 'Local timer interrupts', count: 250, rate: 250 },
      { name: 'CAL', desc: 'Function call interrupts', count: 40, rate: 40 },
      { name: '41', desc: `PCI-MSIX 0-edge evil${ESC}]0;x`, count: 4, rate: 4 },
    ],
    softirqs: [
      { name: 'TIMER', desc: '', count: 30, rate: 30 },
      { name: 'NET_RX', desc: '', count: 3, rate: 3 },
    ],
    affine_irqs: [{ irq: 40, name: 'eth0-rx-0', cpus: '1' }],
    net: {
      softnet: { processed: 100, dropped: 2, time_squeeze: 5, backlog: 0 },
      udp_rcvbuf_errors: 7,
      udp_in_errors: 7,
      udp6_rcvbuf_errors: 1,
      udp6_in_errors: 1,
      tcp_backlog_drop: 3,
      nic_rx_drop: 4,
      nic_tx_drop: 0,
      nic_drops: [{ iface: 'eth0', rx: 4, tx: 0 }],
    },
    overflow: 0,
    ...over,
  };
}

/** Two tracepoints: a count (with a hostile comm) and a field histogram in bytes. */
export function traceSample(): TraceSample {
  const slots = new Array(64).fill(0);
  slots[12] = 1000;
  slots[3] = 10;
  return {
    tracepoints: [
      {
        id: 'sched:sched_process_fork',
        tracepoint: 'sched:sched_process_fork',
        field: null,
        count: 50,
        rate: 50,
        other_tasks: 0,
        task_lost: 0,
        tasks: [
          { pid: 42, comm: 'forker', count: 48 },
          { pid: 7, comm: 'evil\\e[31m', count: 2 },
        ],
        hist: null,
        runs: 50,
        run_ns: 20000,
        ns_per_run: 400,
      },
      {
        id: 'block:block_rq_issue:bytes',
        tracepoint: 'block:block_rq_issue',
        field: 'bytes',
        count: 1010,
        rate: 1010,
        other_tasks: 0,
        task_lost: 3,
        tasks: [{ pid: 9, comm: 'dd', count: 1010 }],
        hist: traceHist(slots, 0, 'bytes'),
        runs: 1200,
        run_ns: 300000,
        ns_per_run: 250,
      },
    ],
  };
}

const cpuPct = (usr: number, idle: number) => ({ usr, nice: 0, sys: 5, iowait: 1, irq: 0, soft: 0.5, steal: 0, guest: 0, gnice: 0, idle });

export function countersSample(over: Partial<CountersSample> = {}): CountersSample {
  return {
    interval_s: 1,
    load: { load1: 1.25, load5: 0.5, load15: 0.25, running: 3, blocked: 1, tasks: 321 },
    cpu: { all: cpuPct(30, 63.5), '0': cpuPct(50, 43.5), '1': cpuPct(10, 83.5) },
    vmstat: { r: 3, b: 1, swpd: 0, free: 2_000_000, buff: 20_000, cache: 1_100_000, si: 0, so: 0, bi: 60, bo: 690, in: 1145, cs: 1789 },
    mem: { total: 24105.1, used: 691.5, free: 22573.5, shared: 8.8, buff_cache: 1115.9, available: 23413.6, swap_total: 0, swap_used: 0 },
    disks: { vda: { r_s: 5.08, w_s: 2.03, rkB_s: 60.98, wkB_s: 691.15, r_await: 0.2, w_await: 0.5, aqu_sz: 0, util: 0.41 } },
    net: { eth0: { rxpck_s: 12, txpck_s: 10, rxkB_s: 1.5, txkB_s: 2.5 }, lo: { rxpck_s: 0, txpck_s: 0, rxkB_s: 0, txkB_s: 0 } },
    tcp: { active_s: 1, passive_s: 2, iseg_s: 30, oseg_s: 40, atmptf_s: 0, estres_s: 0, retrans_s: 0.5, isegerr_s: 0, orsts_s: 0 },
    top: [
      { pid: 6112, comm: 'cc1plus', usr: 64.03, system: 20.33, cpu_pct: 84.36, cpu: 1 },
      { pid: 6091, comm: 'node', usr: 4.07, system: 7.11, cpu_pct: 11.18, cpu: 0 },
    ],
    ...over,
  };
}

export function execEvent(over: Partial<ExecEventView> = {}): ExecEventView {
  return {
    ts: TS,
    pid: 5001,
    ppid: 4000,
    uid: 0,
    comm: 'ls',
    filename: '/usr/bin/ls',
    argv: ['ls', '-l', '/tmp'],
    argv_truncated: false,
    ret: 0,
    ret_name: null,
    ...over,
  };
}

export function openEvent(over: Partial<OpenEventView> = {}): OpenEventView {
  return {
    ts: TS,
    pid: 6001,
    tid: 6001,
    uid: 0,
    comm: 'cat',
    syscall: 'openat',
    path: '/etc/passwd',
    flags: 0,
    flags_text: 'O_RDONLY',
    fd: 3,
    errno: null,
    errno_name: null,
    ...over,
  };
}

export function tcpEvent(over: Partial<TcpEventView> = {}): TcpEventView {
  return {
    ts: TS,
    kind: 'connect',
    pid: 7001,
    tid: 7001,
    uid: 0,
    comm: 'curl',
    family: 4,
    saddr: '10.0.0.2',
    sport: 40000,
    daddr: '93.184.216.34',
    dport: 443,
    ...over,
  };
}

export const HOST = { hostname: 'testhost', kernel: '6.1.0-27-cloud-amd64', cpus: [0, 1], bootTimeMs: TS - 3 * 86400_000 - 4 * 3600_000 };

export function running(cost?: ProbeHealth['cost']): ProbeHealth {
  return cost ? { state: 'running', cost } : { state: 'running' };
}

export interface FixtureStoreOptions {
  health?: Partial<Record<ProbeName, ProbeHealth>>;
  data?: Partial<IntervalData>;
  pinned?: number | null;
  /** Another catalogue (a test's own); the fixture data is the default catalogue's. */
  catalogue?: ScreenCatalogue;
}

/** Every probe of a catalogue without data (null), for an interval literal to spread first. */
export function nullData(cat: Catalogue = CATALOGUE): IntervalData {
  return Object.fromEntries(probeNames(cat).map((n) => [n, null])) as unknown as IntervalData;
}

/** Every probe of a catalogue off, for an interval literal's `probes` to spread first. */
export function offHealth(cat: Catalogue = CATALOGUE): Interval['probes'] {
  return Object.fromEntries(probeNames(cat).map((n) => [n, { state: 'off' }])) as unknown as Interval['probes'];
}

/**
 * The probes the screen's fixtures are made for (those fixtureData() has a sample of), with their
 * views: the catalogue of the screen tests whose assertions depend on how many panes share the
 * terminal. A probe added later is in SCREEN_CATALOGUE, not here, until it has fixture data.
 */
const FIXTURE_DATA = fixtureData();
export const FIXTURE_CATALOGUE: ScreenCatalogue = SCREEN_CATALOGUE.filter((s) => s.name in FIXTURE_DATA);

/** A probe of the default catalogue with its view, as the screen takes it. */
export function screenEntry(name: ProbeName): ScreenEntry {
  const e = findProbe(SCREEN_CATALOGUE, name);
  if (!e) throw new Error(`no probe ${name}`);
  return e;
}

/** The fixture sample of each probe that has one (a probe without one has null in fixtureStore's interval). */
export function fixtureData(): Partial<IntervalData> {
  return {
    offcpu: offcpuSample(),
    runqlat: runqlatSample(),
    proc: countersSample(),
    exec: [],
    open: [],
    tcp: [],
    trace: traceSample(),
    profile: profileSample(),
    isolation: isolationSample(),
  };
}

/** A store with one committed interval holding fixture data (all probes running by default). */
export function fixtureStore(o: FixtureStoreOptions = {}): AppStore {
  const catalogue = o.catalogue ?? FIXTURE_CATALOGUE;
  const store = createAppStore({ catalogue, host: HOST, intervalS: 1, pinnedCpu: o.pinned ?? null, enabled: probeNames(catalogue) });
  const probes = {} as Record<ProbeName, ProbeHealth>;
  for (const n of probeNames(catalogue)) probes[n] = o.health?.[n] ?? running();
  const snap: Interval = {
    time: new Date(TS).toISOString(),
    interval_s: 1,
    pinned_cpu: o.pinned ?? null,
    probes,
    data: { ...nullData(catalogue), ...(o.data ?? fixtureData()) },
  };
  store.getState().commitInterval(snap);
  return store;
}

/** Any raw C0 control (other than newline between frame lines), ESC, DEL or C1 byte/char. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
