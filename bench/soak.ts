// `npm run soak [-- --minutes M]`: the real screen (80x24 in a private tmux server, every probe
// on, the Prometheus endpoint beside it) driven for M minutes (default 30) through rotating
// storms — exec, open, loopback connects, pipe ping-pong, a burst of 5,000 short-lived threads —
// each minute two phases of 20 s storm + 10 s quiet. Every minute it prints perfscope's RSS
// (max, and at the minute's quiet end), its CPU, the frames it drew (terminal writes, from
// pipe-pane) and the longest time without one, the events each feed received and lost and the
// off-CPU map's overflow (from its own /metrics). It ends by itself and checks it left nothing:
// no BPF program, tmux server, temporary file or mount. Writes build/soak.json and soak.md.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CATALOGUE } from '../src/catalogue/catalogue.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { cleanupAll, exited, onCleanup, run, spawnTracked } from './children.js';
import { cpuNs, findNodeProcess, heldProgramIds, loadedProgramIds, processTree, rssKb } from './host.js';
import { prepareLoads, type LoadKit } from './loads.js';

const USAGE = `usage: npm run soak [-- --minutes M] [--out DIR]
  --minutes M  how long (default 30; fractions allowed for a short check)
  --out DIR    where soak.json and soak.md go (default build/)
  --render F   write soak.md again from the soak.json F, run nothing`;

const FEEDS = ['exec', 'open', 'tcp'] as const;
const KINDS = ['exec', 'open', 'connect', 'pipe', 'threads'] as const;
type Kind = (typeof KINDS)[number];
const STORM_S = 20;
const QUIET_S = 10;
const THREADS = 5_000;
/** A frame is "late" when the terminal got nothing for longer than this (the interval is 1 s). */
const FRAME_GAP_LIMIT_MS = 1_250;

interface Options {
  minutes: number;
  outDir: string;
  /** --render FILE: write soak.md again from a soak.json (its goals computed anew), run nothing. */
  render: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { minutes: 30, outDir: path.join(PACKAGE_ROOT, 'build'), render: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--minutes' && /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) o.minutes = Number(argv[++i]);
    else if (a === '--out' && argv[i + 1]) o.outDir = path.resolve(argv[++i]);
    else if (a === '--render' && argv[i + 1]) o.render = path.resolve(argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else {
      process.stderr.write(`soak: bad argument ${a}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return o;
}

const log = (msg: string) => process.stderr.write(`soak: ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on loopback (bound, read, closed). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The counters of perfscope's /metrics this soak follows: events by feed, lost by probe. */
export function parseMetrics(text: string): { events: Record<string, number>; lost: Record<string, number> } {
  const events: Record<string, number> = {};
  const lost: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const e = /^perfscope_(\w+?)_events_total\{[^}]*\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/.exec(line);
    if (e) events[e[1]] = (events[e[1]] ?? 0) + Number(e[2]);
    const l = /^perfscope_probe_lost_events_total\{probe="(\w+)"\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/.exec(line);
    if (l) lost[l[1]] = (lost[l[1]] ?? 0) + Number(l[2]);
  }
  return { events, lost };
}

async function scrape(port: number): Promise<ReturnType<typeof parseMetrics> | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return r.ok ? parseMetrics(await r.text()) : null;
  } catch {
    return null;
  }
}

/** One storm phase of `kind` for `seconds`: psload run after run (threads: one burst). */
async function storm(kit: LoadKit, kind: Kind, seconds: number): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const args: Record<Kind, string[]> = {
    exec: ['exec', '200'],
    open: ['open', '200000', kit.file],
    connect: ['connect', '2000'],
    pipe: ['pipe', '20000'],
    threads: ['threads', String(THREADS)],
  };
  do {
    const c = spawnTracked('timeout', ['-s', 'KILL', '60', kit.psload, ...args[kind]], { stdio: 'ignore' });
    await exited(c);
  } while (kind !== 'threads' && performance.now() < end);
  const left = end - performance.now();
  if (left > 0) await sleep(left);
}

export interface SoakMinute {
  minute: number;
  storms: string;
  rss_mib_max: number | null;
  rss_mib_end: number | null;
  cpu_pct: number | null;
  frames: number;
  max_frame_gap_ms: number;
  late_frames: number;
  received: Record<string, number>;
  lost: Record<string, number>;
  offcpu_overflow: number;
}

/** Watches the perfscope process and its terminal output between two calls of take(). */
class Watch {
  private rssMax: number | null = null;
  private rssLast: number | null = null;
  private frames = 0;
  private maxGap = 0;
  private late = 0;
  private lastSize: number;
  private lastWrite = performance.now();
  private polls = 0;
  private cpu0: number | null;
  private t0 = performance.now();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly rawFile: string,
  ) {
    this.lastSize = this.size();
    this.cpu0 = cpuNs(pid);
    this.timer = setInterval(() => this.poll(), 100);
  }

  private size(): number {
    try {
      return statSync(this.rawFile).size;
    } catch {
      return 0;
    }
  }

  private poll(): void {
    const now = performance.now();
    const s = this.size();
    if (s > this.lastSize) {
      const gap = now - this.lastWrite;
      this.maxGap = Math.max(this.maxGap, gap);
      if (gap > FRAME_GAP_LIMIT_MS) this.late++;
      this.frames++;
      this.lastSize = s;
      this.lastWrite = now;
    }
    if (++this.polls % 10 === 0) {
      const r = rssKb(this.pid);
      if (r !== null) {
        this.rssLast = r;
        this.rssMax = Math.max(this.rssMax ?? 0, r);
      }
    }
  }

  take(): Pick<SoakMinute, 'rss_mib_max' | 'rss_mib_end' | 'cpu_pct' | 'frames' | 'max_frame_gap_ms' | 'late_frames'> {
    const now = performance.now();
    const r = rssKb(this.pid);
    if (r !== null) {
      this.rssLast = r;
      this.rssMax = Math.max(this.rssMax ?? 0, r);
    }
    // A gap still open counts too.
    this.maxGap = Math.max(this.maxGap, now - this.lastWrite);
    const cpu1 = cpuNs(this.pid);
    const out = {
      rss_mib_max: this.rssMax === null ? null : Math.round(this.rssMax / 102.4) / 10,
      rss_mib_end: this.rssLast === null ? null : Math.round(this.rssLast / 102.4) / 10,
      cpu_pct: this.cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - this.cpu0) / ((now - this.t0) * 1e6)) * 1000) / 10 : null,
      frames: this.frames,
      max_frame_gap_ms: Math.round(this.maxGap),
      late_frames: this.late,
    };
    this.rssMax = null;
    this.frames = 0;
    this.maxGap = 0;
    this.late = 0;
    this.cpu0 = cpu1;
    this.t0 = now;
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4])
    .sort();
}

const fmt = (n: number | null) => (n === null ? '–' : String(n));

function minuteLine(m: SoakMinute): string {
  const feeds = FEEDS.map((f) => `${f} ${m.received[f] ?? 0}/${m.lost[f] ?? 0}`).join('  ');
  return `min ${String(m.minute).padStart(3)} [${m.storms}]  RSS ${fmt(m.rss_mib_max)}/${fmt(m.rss_mib_end)} MiB  CPU ${fmt(m.cpu_pct)}%  frames ${m.frames} (longest gap ${m.max_frame_gap_ms} ms, ${m.late_frames} late)  ${feeds}  offcpu overflow ${m.offcpu_overflow}`;
}

/** Minutes in one turn of the storms: two phases a minute, so an odd number of kinds takes as many minutes as kinds to come back to the same pairs. */
const TURN_MIN = KINDS.length % 2 === 0 ? KINDS.length / 2 : KINDS.length;

/**
 * RSS growth after the first 5 minutes, in %: the highest end-of-minute RSS of the last full
 * turn of the storms against the highest of the first turn after minute 5 (whole turns, so that
 * the same storms are compared: RSS follows which storm just ran). null when the run is shorter
 * than 5 minutes and two turns.
 */
export function rssGrowth(ms: readonly SoakMinute[]): number | null {
  const from = 5;
  if (ms.length < from + 2 * TURN_MIN) return null;
  const peak = (xs: readonly SoakMinute[]) => Math.max(...xs.map((m) => m.rss_mib_end ?? 0));
  const base = peak(ms.slice(from, from + TURN_MIN));
  const last = peak(ms.slice(ms.length - TURN_MIN));
  return base > 0 ? Math.round((last / base - 1) * 1000) / 10 : null;
}

export interface SoakReport {
  started: string;
  minutes: number;
  host: string;
  minutesOut: SoakMinute[];
  rss_growth_after_5_min_pct: number | null;
  late_frames: number;
  max_frame_gap_ms: number;
  left_behind: string[];
  error: string | null;
}

function renderMarkdown(r: SoakReport): string {
  const rows = r.minutesOut.map(
    (m) =>
      `| ${m.minute} | ${m.storms} | ${fmt(m.rss_mib_max)} | ${fmt(m.rss_mib_end)} | ${fmt(m.cpu_pct)} | ${m.frames} | ${m.max_frame_gap_ms} | ${FEEDS.map((f) => `${m.received[f] ?? 0} / ${m.lost[f] ?? 0}`).join(' | ')} | ${m.offcpu_overflow} |`,
  );
  const growth = r.rss_growth_after_5_min_pct;
  return [
    `perfscope soak: ${r.minutes} min from ${r.started} on ${r.host}; 80x24 screen, every probe on (--trace sched:sched_switch), --listen beside it`,
    '',
    `| minute | storms | RSS max, MiB | RSS at the minute's end, MiB | CPU, % of one CPU | frames | longest gap, ms | exec received / lost | open received / lost | tcp received / lost | off-CPU overflow |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...rows,
    '',
    `- RSS growth after the first 5 minutes (the highest end-of-minute RSS of the last ${TURN_MIN} minutes, one turn of the storms, ÷ that of minutes 6-${5 + TURN_MIN}): ${growth === null ? `n/a (shorter than ${5 + 2 * TURN_MIN} minutes)` : `${growth} %`} (goal < 10 %: ${growth === null ? 'n/a' : growth < 10 ? 'met' : 'missed'})`,
    `- Seconds without a frame (a gap over ${FRAME_GAP_LIMIT_MS} ms): ${r.late_frames}; longest gap ${r.max_frame_gap_ms} ms (goal: none: ${r.late_frames === 0 ? 'met' : 'missed'})`,
    `- Left behind: ${r.left_behind.length ? r.left_behind.join('; ') : 'nothing (BPF programs, tmux server, temporary files, mounts)'}`,
    ...(r.error ? [`- Error: ${r.error}`] : []),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.render) {
    let r: SoakReport;
    try {
      r = JSON.parse(readFileSync(o.render, 'utf8')) as SoakReport;
    } catch (e) {
      process.stderr.write(`soak: --render ${o.render}: ${(e as Error).message}\n`);
      process.exit(2);
    }
    r.rss_growth_after_5_min_pct = rssGrowth(r.minutesOut);
    const md = renderMarkdown(r);
    writeFileSync(path.join(path.dirname(o.render), 'soak.md'), md);
    process.stdout.write(md);
    return;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('soak: needs root (the BPF probes)\n');
    process.exit(2);
  }
  const bin = path.join(PACKAGE_ROOT, 'bin', 'perfscope.js');
  if (!existsSync(bin)) {
    process.stderr.write('soak: perfscope is not built: run ./dev start or scripts/setup.sh\n');
    process.exit(2);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'perfscope-soak-'));
  const socket = `perfscope-soak-${process.pid}`;
  const tmux = (...a: string[]) => run('tmux', ['-L', socket, ...a], 10_000);
  onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  onCleanup(() => void tmux('kill-server'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupAll();
      process.exit(130);
    });
  }
  const mountsBefore = mountPoints();
  const report: SoakReport = {
    started: new Date().toISOString(),
    minutes: o.minutes,
    host: `${os.hostname()}, ${os.cpus().length} CPUs, Linux ${os.release()}, Node ${process.version}`,
    minutesOut: [],
    rss_growth_after_5_min_pct: null,
    late_frames: 0,
    max_frame_gap_ms: 0,
    left_behind: [],
    error: null,
  };
  let pid: number | null = null;
  let ids: number[] = [];
  try {
    const kit = prepareLoads(tmp);
    const port = await freePort();
    const probes = CATALOGUE.map((p) => p.name).join(',');
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const limitS = Math.ceil(o.minutes * 60) + 120;
    const cmd = `exec timeout --foreground -s TERM ${limitS} ${q(process.execPath)} ${q(bin)} --probes ${probes} --trace sched:sched_switch --listen 127.0.0.1:${port}`;
    const r = tmux('-f', '/dev/null', 'new-session', '-d', '-s', 's', '-x', '80', '-y', '24', cmd);
    if (r.code !== 0) throw new Error(`tmux new-session: ${r.stderr.trim().split('\n')[0]}`);
    tmux('set-option', '-g', 'status', 'off');
    const rawFile = path.join(tmp, 'raw.out');
    writeFileSync(rawFile, '');
    tmux('pipe-pane', '-o', '-t', 's', `cat >> ${q(rawFile)}`);
    const t0 = performance.now();
    while (pid === null && performance.now() - t0 < 20_000) {
      const pane = Number(tmux('display-message', '-p', '-t', 's', '#{pane_pid}').stdout.trim());
      if (pane) pid = findNodeProcess(processTree(pane), 'perfscope.js');
      if (pid === null) await sleep(100);
    }
    if (pid === null) throw new Error('perfscope did not start in tmux');
    // Every probe running (its /metrics says so) before the clock starts.
    while (performance.now() - t0 < 60_000) {
      const m = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((x) => x.text())
        .catch(() => '');
      const up = CATALOGUE.filter((p) => new RegExp(`^perfscope_probe_up\\{probe="${p.name}"\\} 1$`, 'm').test(m)).length;
      if (up === CATALOGUE.length) break;
      await sleep(500);
    }
    ids = heldProgramIds(processTree(pid));
    log(`perfscope pid ${pid}, ${ids.length} BPF programs, /metrics on 127.0.0.1:${port}; ${o.minutes} min of storms (${KINDS.join(', ')})`);
    const watch = new Watch(pid, rawFile);
    let prev = await scrape(port);
    const total = Math.max(1, Math.round(o.minutes * 2)); // phases of 30 s
    let phase = 0;
    for (let minute = 1; phase < total; minute++) {
      const kinds: string[] = [];
      for (let k = 0; k < 2 && phase < total; k++, phase++) {
        const kind = KINDS[phase % KINDS.length];
        kinds.push(kind);
        const scale = Math.min(1, o.minutes * 2); // a run shorter than a phase shortens it
        await storm(kit, kind, STORM_S * scale);
        await sleep(QUIET_S * 1000 * scale);
      }
      const cur = await scrape(port);
      const delta = (a: Record<string, number> | undefined, b: Record<string, number> | undefined, k: string) => (a?.[k] ?? 0) - (b?.[k] ?? 0);
      const m: SoakMinute = {
        minute,
        storms: kinds.join('+'),
        ...watch.take(),
        received: Object.fromEntries(FEEDS.map((f) => [f, delta(cur?.events, prev?.events, f)])),
        lost: Object.fromEntries(FEEDS.map((f) => [f, delta(cur?.lost, prev?.lost, f)])),
        offcpu_overflow: delta(cur?.lost, prev?.lost, 'offcpu'),
      };
      if (cur) prev = cur;
      report.minutesOut.push(m);
      process.stdout.write(minuteLine(m) + '\n');
    }
    watch.stop();
    // Quit as a user does.
    tmux('send-keys', '-t', 's', 'q');
    const end = performance.now() + 15_000;
    while (performance.now() < end && existsSync(`/proc/${pid}`)) await sleep(100);
    if (existsSync(`/proc/${pid}`)) report.left_behind.push(`perfscope (pid ${pid}) still running 15 s after q`);
  } catch (e) {
    report.error = (e as Error).message;
    log(`error: ${report.error}`);
  }
  // What is left, after the clean-up.
  cleanupAll();
  if (pid !== null && existsSync(`/proc/${pid}`)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await sleep(500);
  const loaded = loadedProgramIds();
  const still = ids.filter((id) => loaded.has(id));
  if (still.length) report.left_behind.push(`BPF programs ${still.join(', ')}`);
  if (run('tmux', ['-L', socket, 'list-sessions'], 5_000).code === 0) report.left_behind.push(`tmux server ${socket}`);
  if (existsSync(tmp)) report.left_behind.push(`temporary directory ${tmp}`);
  const mountsAfter = mountPoints();
  const added = mountsAfter.filter((m) => !mountsBefore.includes(m));
  if (added.length) report.left_behind.push(`mounts ${added.join(', ')}`);
  const ms = report.minutesOut;
  report.late_frames = ms.reduce((a, m) => a + m.late_frames, 0);
  report.max_frame_gap_ms = ms.reduce((a, m) => Math.max(a, m.max_frame_gap_ms), 0);
  report.rss_growth_after_5_min_pct = rssGrowth(ms);
  mkdirSync(o.outDir, { recursive: true });
  writeFileSync(path.join(o.outDir, 'soak.json'), JSON.stringify(report, null, 2) + '\n');
  const md = renderMarkdown(report);
  writeFileSync(path.join(o.outDir, 'soak.md'), md);
  process.stdout.write('\n' + md);
  process.exit(report.error || report.left_behind.length ? 1 : 0);
}

await main();
