// `npm run bench [-- --quick]`: what perfscope costs the host it runs on, side by side with the
// tools people use today (bpftrace, BCC, libbpf-tools), measured here and now. See docs/performance.md for
// what each number means. Needs root; installs the peers with apt-get when they are missing;
// leaves nothing behind (children, tmux server, tracefs mount it made, BPF programs, stats).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addon } from '../src/bpf/addon.js';
import { bpfUnavailableReason } from '../src/bpf/caps.js';
import { describeError } from '../src/bpf/error.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { measureProcTick } from '../src/probes/proc.js';
import { cleanupAll, exited, onCleanup, run } from './children.js';
import { loadSpecs, prepareLoads, runLoad, startStorm, type LoadKit, type LoadName, type LoadSpec } from './loads.js';
import { renderMarkdown, renderText, type BenchReport, type LoadResult, type SubjectResult } from './report.js';
import { cpuPercent, pairedRatio, ratio, rotate, summarize } from './stats.js';
import { FLOOR, FLOOR_RAW, peerSubjects, perfscopeSubject, probeSubjects, profileSubjects, traceSubjects, type Measured, type Subject } from './subjects.js';
import { consolesPart, restPart } from './rest.js';
import {
  killSession,
  killTmuxServer,
  measureAfterStorm,
  measureStormWindow,
  measureWindow,
  pipeToFile,
  startSession,
  timeScreenImport,
  timeVersion,
  TMUX_SOCKET,
  type StartupTimes,
} from './terminal.js';
import { heldProgramIds } from './host.js';

interface Options {
  quick: boolean;
  peers: boolean;
  outDir: string;
  rounds: number | null;
  /** Only the consoles-at-rest table (perfscope, btop, htop). */
  consolesOnly: boolean;
  /** The extra sleeping tasks of that table: threads of one process, or processes. */
  tasks: 'threads' | 'procs';
  /** Its window and settling time, s (null: 60 and 12, --quick 10 and 6). */
  consolesS: number | null;
  /** Each console of that table measured alone in turn. */
  consolesApart: boolean;
}

const USAGE = `usage: npm run bench [-- --quick] [--no-peers] [--rounds N] [--out DIR] [--consoles] [--tasks threads|procs] [--consoles-window S] [--consoles-apart]
  --quick      short runs for development (~1-2 min); default is the full run (~6 min)
  --no-peers   skip bpftrace, BCC and libbpf-tools (no apt-get, no tracefs mount)
  --rounds N   interleaved rounds (default 5, quick 3)
  --out DIR    where bench.json and bench.md go (default build/)
  --consoles   only the consoles-at-rest table (perfscope, btop, htop; ~5 min, ~2 with --quick)
  --tasks K    that table's extra sleeping tasks: procs (default: 2,000 and 20,000 processes) or threads
  --consoles-window S  its measured window, s (default 60; --quick 10)
  --consoles-apart     each console alone in turn (side by side, each one's work shows in the others')`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false,
    peers: true,
    outDir: path.join(PACKAGE_ROOT, 'build'),
    rounds: null,
    consolesOnly: false,
    tasks: 'procs',
    consolesS: null,
    consolesApart: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--rounds' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) >= 1) o.rounds = Number(argv[++i]);
    else if (a === '--out' && argv[i + 1]) o.outDir = path.resolve(argv[++i]);
    else if (a === '--consoles') o.consolesOnly = true;
    else if (a === '--consoles-apart') o.consolesApart = true;
    else if (a === '--tasks' && (argv[i + 1] === 'threads' || argv[i + 1] === 'procs')) o.tasks = argv[++i] as 'threads' | 'procs';
    else if (a === '--consoles-window' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) >= 3) o.consolesS = Number(argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench: bad argument ${a}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return o;
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Program run statistics for every program while the bench runs; the previous state comes back at exit. */
function enableStats(): { how: string; before: string; after: () => string } {
  const sysctl = '/proc/sys/kernel/bpf_stats_enabled';
  const read = () => {
    try {
      return readFileSync(sysctl, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const before = read();
  try {
    const fd = addon().enableStats();
    onCleanup(() => addon().closeFd(fd));
    return { how: 'BPF_ENABLE_STATS fd held by the bench (the kernel drops it at exit, even on SIGKILL)', before, after: read };
  } catch (e) {
    writeFileSync(sysctl, '1');
    onCleanup(() => writeFileSync(sysctl, before));
    return { how: `kernel.bpf_stats_enabled=1, restored to ${before} at exit (BPF_ENABLE_STATS failed: ${(e as Error).message})`, before, after: read };
  }
}

const PEER_PACKAGES = 'bpftrace bpfcc-tools libbpf-tools';

function installPeers(): string {
  const have = () => run('sh', ['-c', 'command -v bpftrace && ls /usr/sbin/*-bpfcc && dpkg -s libbpf-tools']).code === 0;
  if (have()) return 'installed';
  log(`installing ${PEER_PACKAGES} (apt-get)`);
  const env = 'DEBIAN_FRONTEND=noninteractive';
  let r = run('sh', ['-c', `${env} apt-get install -y -qq --no-install-recommends ${PEER_PACKAGES}`], 300_000);
  if (r.code !== 0) {
    run('sh', ['-c', `${env} apt-get update -qq`], 180_000);
    r = run('sh', ['-c', `${env} apt-get install -y -qq --no-install-recommends ${PEER_PACKAGES}`], 300_000);
  }
  if (r.code !== 0) return `apt-get install failed: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 160)}`;
  return 'installed by the bench (apt-get)';
}

/** bpftrace and BCC attach tracepoints through tracefs (perfscope's feeds mount it themselves when it is missing). */
function ensureTracefs(): string {
  if (existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events')) return 'already mounted';
  const r = run('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
  if (r.code !== 0) return `not mounted, mount failed: ${r.stderr.trim().split('\n')[0]}`;
  onCleanup(() => {
    run('umount', ['/sys/kernel/tracing']);
  });
  return 'was not mounted: mounted by the bench at /sys/kernel/tracing for the peers, unmounted at exit';
}

/** The floor's ns per run is used as a reference only from a load where it ran at least this often. */
const FLOOR_MIN_RUNS = 1000;

/** After the open load, its tool CPU is read again this much later (one 1 s interval and some). */
export const OPEN_TAIL_MS = 1500;

interface Raw {
  subject: Subject;
  failed?: string;
  progCount: number;
  notes: string[];
  ready: number[];
  /** per load, per round; switches: the host's context switches while the load ran with the subject */
  runs: Map<LoadName, { m: Measured; ns: number | null; none: number | null; switches: number | null; tailCpuNs?: number | null }[]>;
}

/** The host's context switches since boot (/proc/stat ctxt: one per sched_switch tracepoint hit). */
function contextSwitches(): number | null {
  try {
    const m = /^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function measureSubject(raw: Raw, kit: LoadKit, specs: LoadSpec[]): Promise<void> {
  let running;
  try {
    running = await raw.subject.start();
  } catch (e) {
    raw.failed = describeError(e).split('\n')[0];
    return;
  }
  raw.ready.push(running.readyMs);
  raw.progCount = running.progIds.length;
  if (!raw.notes.length) raw.notes = running.notes;
  const got: { spec: LoadSpec; m: Measured; ns: number | null; switches: number | null; tailCpuNs: number | null }[] = [];
  try {
    for (const spec of specs) {
      running.begin();
      const c0 = contextSwitches();
      const ns = await runLoad(kit, spec);
      const c1 = contextSwitches();
      const m = running.end();
      // The open storm: also the CPU up to OPEN_TAIL_MS after the load, which holds the work a
      // tool leaves for later (perfscope --json decodes and writes an interval's events at its end).
      let tailCpuNs: number | null = null;
      if (spec.name === 'open' && m.cpuNs !== null) {
        await sleep(OPEN_TAIL_MS);
        tailCpuNs = running.end().cpuNs;
      }
      got.push({ spec, m, ns, switches: c0 === null || c1 === null ? null : c1 - c0, tailCpuNs });
    }
  } finally {
    await running.stop();
  }
  // The same loads right after, with nothing attached: the pair for the slowdown.
  for (const g of got) {
    const none = await runLoad(kit, g.spec);
    const list = raw.runs.get(g.spec.name) ?? [];
    list.push({ m: g.m, ns: g.ns, none, switches: g.switches, tailCpuNs: g.tailCpuNs });
    raw.runs.set(g.spec.name, list);
  }
}

function summarizeSubject(raw: Raw, floor: Raw | undefined, specs: LoadSpec[]): SubjectResult {
  const s = raw.subject;
  const res: SubjectResult = {
    id: s.id,
    label: s.label,
    group: s.group,
    probe: s.probe,
    sched: s.sched,
    status: raw.failed ? 'failed' : 'ok',
    reason: raw.failed,
    prog_count: raw.progCount,
    ready_ms: summarize(raw.ready),
    notes: raw.notes,
    loads: {},
  };
  if (raw.failed) return res;
  for (const spec of specs) {
    const runs = raw.runs.get(spec.name) ?? [];
    const floorRuns = floor?.runs.get(spec.name) ?? [];
    const nsPerEvent = runs.map((r) => r.m.delta?.ns_per_event ?? null);
    const perSwitch = runs.map((r) => (r.m.delta && r.switches ? r.m.delta.run_ns / r.switches : null));
    const floorPerSwitch = floorRuns.map((r) => (r.m.delta && r.switches && r.m.delta.run_cnt >= FLOOR_MIN_RUNS ? r.m.delta.run_ns / r.switches : null));
    const lr: LoadResult = {
      ns_per_event: summarize(nsPerEvent),
      events_per_op: summarize(runs.map((r) => (r.m.delta ? r.m.delta.run_cnt / spec.count : null))),
      bpf_ns_per_op: summarize(runs.map((r) => (r.m.delta ? r.m.delta.run_ns / spec.count : null))),
      // Only where the floor ran often enough in that round for its own mean to mean something.
      ratio_to_floor: summarize(
        nsPerEvent.map((x, i) => ((floorRuns[i]?.m.delta?.run_cnt ?? 0) >= FLOOR_MIN_RUNS ? ratio(x, floorRuns[i]!.m.delta!.ns_per_event) : null)),
      ),
      ns_per_switch: summarize(perSwitch),
      switch_ratio_to_floor: summarize(perSwitch.map((x, i) => ratio(x, floorPerSwitch[i]))),
      ns_per_op: summarize(runs.map((r) => r.ns)),
      none_ns_per_op: summarize(runs.map((r) => r.none)),
      slowdown: (({ pairs: _p, ...rest }) => rest)(
        pairedRatio(
          runs.map((r) => r.ns),
          runs.map((r) => r.none),
        ),
      ),
      tool_rss_kb: summarize(runs.map((r) => r.m.rssKb)),
      tool_cpu_ms: summarize(runs.map((r) => (r.m.cpuNs === null ? null : r.m.cpuNs / 1e6))),
      tool_cpu_ms_tail: summarize(runs.map((r) => (r.tailCpuNs == null ? null : r.tailCpuNs / 1e6))),
      raw: {
        ns_per_event: nsPerEvent,
        run_cnt: runs.map((r) => r.m.delta?.run_cnt ?? null),
        switches: runs.map((r) => r.switches),
        ns_per_op: runs.map((r) => r.ns),
        none_ns_per_op: runs.map((r) => r.none),
      },
      tool_cpu_pct: summarize(runs.map((r) => (r.m.cpuNs === null || r.ns === null ? null : cpuPercent(r.m.cpuNs, 1e9, (r.ns * spec.count) / 1e9)))),
    };
    res.loads[spec.name] = lr;
  }
  return res;
}

/** Seconds of RSS watched after the storm (the goal: back to the rest level within 30 s). */
const AFTER_STORM_S = 30;

async function terminalPart(kit: LoadKit, quick: boolean, dir: string, rounds: number): Promise<NonNullable<BenchReport['perfscope']>> {
  const idleS = quick ? 10 : 60;
  // The storm goals are stated for 15 s of storm: --quick keeps it.
  const stormS = 15;
  const startRuns = quick ? 2 : rounds;
  const out: NonNullable<BenchReport['perfscope']> = {
    startup: { frame_ms: summarize([]), interval_ms: summarize([]), json_ms: summarize([]), ui_import_ms: summarize([]), version_ms: summarize([]), runs: [] },
    idle: null,
    storm: null,
    storm_seconds: stormS,
    after_storm: null,
    terminal: 'tmux 80×24, default interval (1 s), all probes',
  };
  try {
    const runs: StartupTimes[] = [];
    for (let i = 0; i < startRuns; i++) {
      log(`perfscope start-up in tmux ${i + 1}/${startRuns}`);
      const { times } = await startSession(`start${i}`, 60, 20_000);
      killSession(`start${i}`);
      runs.push(times);
      await sleep(300);
    }
    out.startup.runs = runs;
    const version: number[] = [];
    const uiImport: number[] = [];
    for (let i = 0; i < startRuns; i++) {
      const v = timeVersion();
      if (v !== null) version.push(v);
      const u = timeScreenImport();
      if (u !== null) uiImport.push(u);
    }
    out.startup.version_ms = summarize(version);
    out.startup.ui_import_ms = summarize(uiImport);
    out.startup.frame_ms = summarize(runs.map((r) => r.frame_ms));
    out.startup.interval_ms = summarize(runs.map((r) => r.interval_ms));

    log(`perfscope in tmux: ${idleS} s idle, then a ${stormS} s event storm`);
    const { session, times } = await startSession('window', idleS + stormS + 120, 20_000);
    if (times.frame_ms === null) throw new Error('perfscope showed no status line in tmux within 20 s');
    // Measure from the steady state: after the first interval, or 2 s after the first frame when
    // the status line does not show one the bench recognizes.
    await sleep(times.interval_ms === null ? 2000 : 1000);
    const file = path.join(dir, 'tty.out');
    if (!pipeToFile(session.name, file)) throw new Error('tmux pipe-pane failed');
    await sleep(200);
    out.idle = await measureWindow(session, file, idleS);
    const storm = startStorm(kit, stormS);
    out.storm = await measureStormWindow(session, file, stormS);
    await exited(storm);
    // Back to rest: RSS each second for 30 s after the storm, against the idle window's end.
    out.after_storm = await measureAfterStorm(session, AFTER_STORM_S, out.idle.rss_kb_end);
    killSession(session.name);
  } catch (e) {
    out.error = (e as Error).message;
    log(`terminal measurements: ${out.error}`);
  } finally {
    killTmuxServer();
  }
  return out;
}

/** After cleanup: BPF programs this process still holds, and whether the private tmux server is still up. */
function leftBehind(): string {
  const problems: string[] = [];
  const ids = heldProgramIds([process.pid]);
  if (ids.length) problems.push(`BPF programs still held: ${ids.join(', ')}`);
  if (run('tmux', ['-L', TMUX_SOCKET, 'list-sessions']).code === 0) problems.push(`tmux server ${TMUX_SOCKET} still running`);
  return problems.length ? problems.join('; ') : 'nothing';
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (BPF, bpftool, apt-get): run it as root\n');
    process.exit(2);
  }
  const bpfReason = bpfUnavailableReason();
  if (bpfReason) {
    process.stderr.write(`bench: BPF is not usable here: ${bpfReason}\n`);
    process.exit(2);
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping everything`);
      cleanupAll();
      process.exit(130);
    });
  }
  process.on('exit', cleanupAll);
  process.on('uncaughtException', (e) => {
    log(`internal error: ${e.stack ?? e.message}`);
    cleanupAll();
    process.exit(1);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'perfscope-bench-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  killTmuxServer(); // a server left by an earlier run that was SIGKILLed

  if (!existsSync(path.join(PACKAGE_ROOT, 'build', 'bpf', 'benchfloor.bpf.o'))) {
    log('building the BPF objects (make -s bpf)');
    const r = run('make', ['-s', '-C', PACKAGE_ROOT, 'bpf'], 300_000);
    if (r.code !== 0) throw new Error(`make bpf failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  const loadAvg = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const stats = enableStats();
  if (opts.consolesOnly) return consolesOnly(opts, dir, loadAvg, t0);
  const peersInstall = opts.peers ? installPeers() : 'skipped (--no-peers)';
  const tracefs = opts.peers ? ensureTracefs() : 'not needed (--no-peers)';
  const kit = prepareLoads(dir);
  const specs = loadSpecs(opts.quick);
  const rounds = opts.rounds ?? (opts.quick ? 3 : 5);

  log('proc probe: timing ticks');
  let procTick: BenchReport['proc_tick'];
  try {
    const iterations = opts.quick ? 20 : 50;
    procTick = { ...measureProcTick('/proc', iterations), iterations };
  } catch (e) {
    procTick = { error: (e as Error).message };
  }

  const perfscope = await terminalPart(kit, opts.quick, dir, rounds);
  // perfscope, btop and htop at rest, side by side, with more and more sleeping tasks (bench/rest.ts).
  const consoles = await consolesPart(kit.psload, dir, consoleOptions(opts), log);
  // The screen at rest with every probe (80×24, 160×48) and two peers at rest: bench/rest.ts.
  const rest = await restPart(opts.quick ? 10 : 60, opts.quick ? 8 : 12, opts.peers, log);

  const subjects: Subject[] = [
    FLOOR,
    FLOOR_RAW,
    ...probeSubjects(),
    perfscopeSubject(dir),
    ...traceSubjects(dir, opts.quick ? 20_000 : 30_000, opts.peers),
    ...profileSubjects(dir, opts.quick ? 20_000 : 30_000, opts.peers),
  ];
  const missingPeers: SubjectResult[] = [];
  if (opts.peers) {
    const peers = peerSubjects(dir, opts.quick ? 20_000 : 30_000);
    subjects.push(...peers.subjects);
    for (const m of peers.missing) {
      missingPeers.push({
        id: m.id,
        label: m.id,
        group: 'peer',
        probe: m.probe,
        status: 'failed',
        reason: m.reason,
        prog_count: 0,
        ready_ms: summarize([]),
        notes: [],
        loads: {},
      });
    }
  }
  const raws = new Map<string, Raw>(subjects.map((s) => [s.id, { subject: s, progCount: 0, notes: [], ready: [], runs: new Map() }]));
  for (let r = 0; r < rounds; r++) {
    for (const s of rotate(subjects, r)) {
      const raw = raws.get(s.id)!;
      if (raw.failed) continue;
      log(`round ${r + 1}/${rounds}: ${s.label}`);
      await measureSubject(raw, kit, specs);
      if (raw.failed) log(`  ${s.label} did not start: ${raw.failed}`);
    }
  }
  const floor = raws.get(FLOOR.id);
  const results = [...raws.values()].map((raw) => summarizeSubject(raw, floor, specs));
  const json = perfscope.startup;
  json.json_ms = raws.get('perfscope') ? summarize(raws.get('perfscope')!.ready) : summarize([]);

  const report: BenchReport = {
    meta: {
      date: new Date().toISOString(),
      host: os.hostname(),
      kernel: os.release(),
      cpus: os.cpus().length,
      cpu_model: (os.cpus()[0]?.model ?? '?').replace(/\s+/g, ' ').trim(),
      node: process.version,
      mode: opts.quick ? 'quick' : 'full',
      rounds,
      duration_s: 0,
      switch_load: kit.switchTool,
      stats: stats.how,
      sysctl_bpf_stats_enabled: { before: stats.before, after: '' },
      tracefs,
      peers_install: peersInstall,
      load_avg_at_start: loadAvg,
      left_behind: '',
    },
    loads: specs,
    subjects: [...results, ...missingPeers],
    perfscope,
    rest,
    consoles,
    proc_tick: procTick,
  };
  cleanupAll();
  report.meta.left_behind = leftBehind();
  if (report.meta.left_behind !== 'nothing') log(`left behind: ${report.meta.left_behind}`);
  report.meta.sysctl_bpf_stats_enabled.after = stats.after();
  report.meta.duration_s = (performance.now() - t0) / 1000;
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(path.join(opts.outDir, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(opts.outDir, 'bench.md'), renderMarkdown(report));
  process.stdout.write(renderText(report));
  log(`wrote ${path.join(opts.outDir, 'bench.json')} and bench.md in ${Math.round(report.meta.duration_s)} s`);
}

function consoleOptions(opts: Options) {
  const seconds = opts.consolesS ?? (opts.quick ? 10 : 60);
  return { seconds, settleS: opts.quick ? 6 : 12, extra: [2000, 20_000], kind: opts.tasks, apart: opts.consolesApart };
}

/** `--consoles`: the consoles-at-rest table alone (installs btop and htop when missing). */
async function consolesOnly(opts: Options, dir: string, loadAvg: string, t0: number): Promise<void> {
  const have = run('sh', ['-c', 'command -v btop && command -v htop']).code === 0;
  let install = 'installed';
  if (!have) {
    log('installing btop htop (apt-get)');
    const r = run('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends btop htop'], 300_000);
    install = r.code === 0 ? 'installed by the bench (apt-get)' : `apt-get install failed: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 160)}`;
  }
  const kit = prepareLoads(dir);
  const consoles = await consolesPart(kit.psload, dir, consoleOptions(opts), log);
  const report: BenchReport = {
    meta: {
      date: new Date().toISOString(),
      host: os.hostname(),
      kernel: os.release(),
      cpus: os.cpus().length,
      cpu_model: (os.cpus()[0]?.model ?? '?').replace(/\s+/g, ' ').trim(),
      node: process.version,
      mode: opts.quick ? 'consoles, quick' : 'consoles',
      rounds: 1,
      duration_s: (performance.now() - t0) / 1000,
      switch_load: kit.switchTool,
      stats: 'not used',
      sysctl_bpf_stats_enabled: { before: '', after: '' },
      tracefs: 'not needed',
      peers_install: `btop, htop: ${install}`,
      load_avg_at_start: loadAvg,
      left_behind: '',
    },
    loads: [],
    subjects: [],
    consoles,
  };
  cleanupAll();
  report.meta.left_behind = leftBehind();
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(path.join(opts.outDir, 'bench-consoles.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(opts.outDir, 'bench-consoles.md'), renderMarkdown(report));
  process.stdout.write(renderText(report));
  log(`wrote ${path.join(opts.outDir, 'bench-consoles.json')} and bench-consoles.md in ${Math.round(report.meta.duration_s)} s`);
}

main().catch((e) => {
  log(`failed: ${(e as Error).stack ?? e}`);
  cleanupAll();
  process.exit(1);
});
