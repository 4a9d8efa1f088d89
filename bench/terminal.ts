// perfscope in a real terminal: the binary in a detached tmux session of 80×24 on a private
// server (tmux -L perfscope-bench), read back with capture-pane; its output bytes through
// pipe-pane; its CPU time and RSS from /proc. The command runs under `timeout --foreground`, so
// even a killed bench leaves no perfscope behind for long.
import { openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { onCleanup, run } from './children.js';
import { cpuNs, findNodeProcess, processTree, rssKb } from './host.js';
import { cpuPercent, perSecond } from './stats.js';

export const TMUX_SOCKET = 'perfscope-bench';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tmux(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return run('tmux', ['-L', TMUX_SOCKET, ...args], 10_000);
}

export function killTmuxServer(): void {
  run('tmux', ['-L', TMUX_SOCKET, 'kill-server'], 5_000);
}

let registered = false;
function ensureCleanup(): void {
  if (registered) return;
  registered = true;
  onCleanup(killTmuxServer);
}

/** The status line is the screen's last row; it names the probes. */
export const STATUS_RE = /\b(offcpu|runqlat|exec|proc)\b/;
/** After the first interval the shown pane's title carries its BPF cost: "123ns/run 4.5K runs/s". */
export const FIRST_INTERVAL_RE = /\d+ns\/run/;

export interface Session {
  name: string;
  /** pid of the perfscope node process. */
  pid: number | null;
}

/** The shipped entry (what `npm install -g` links as `perfscope`): every start-up figure times it. */
const BIN = path.join(PACKAGE_ROOT, 'bin', 'perfscope.js');

function perfscopeCommand(limitS: number, extra: string[] = []): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `exec timeout --foreground -s TERM ${limitS} ${q(process.execPath)} ${q(BIN)} ${extra.map(q).join(' ')}`;
}

function capture(name: string): string[] {
  const r = tmux('capture-pane', '-p', '-t', name);
  return r.code === 0 ? r.stdout.split('\n') : [];
}

function lastRow(lines: string[]): string {
  return lines.length >= 24 ? lines[23] : (lines.filter((l) => l.trim()).pop() ?? '');
}

function findPerfscopePid(name: string): number | null {
  const r = tmux('display-message', '-p', '-t', name, '#{pane_pid}');
  const pane = Number(r.stdout.trim());
  if (!pane) return null;
  return findNodeProcess(processTree(pane), 'perfscope.js');
}

export interface StartupTimes {
  frame_ms: number | null;
  interval_ms: number | null;
}

/**
 * Start perfscope in a fresh 80×24 session and time, from the tmux command, the first frame
 * with the status line and the first frame that shows an interval's data. Leaves the session
 * running when `keep` (for the windows), else kills it.
 */
export async function startSession(name: string, limitS: number, timeoutMs: number): Promise<{ session: Session; times: StartupTimes }> {
  ensureCleanup();
  const t0 = performance.now();
  const r = tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', perfscopeCommand(limitS));
  if (r.code !== 0) throw new Error(`tmux new-session: ${r.stderr.trim().split('\n')[0]}`);
  const times: StartupTimes = { frame_ms: null, interval_ms: null };
  while (performance.now() - t0 < timeoutMs) {
    const screen = capture(name);
    const row = lastRow(screen);
    const t = performance.now() - t0;
    if (times.frame_ms === null && STATUS_RE.test(row)) times.frame_ms = t;
    if (times.frame_ms !== null && FIRST_INTERVAL_RE.test(screen.join('\n'))) {
      times.frame_ms ??= t;
      times.interval_ms = t;
      break;
    }
    await sleep(15);
  }
  return { session: { name, pid: findPerfscopePid(name) }, times };
}

/** ms from spawn to exit of `perfscope --version`: Node's start plus loading the program. */
export function timeVersion(): number | null {
  const t = performance.now();
  return run(process.execPath, [BIN, '--version']).code === 0 ? performance.now() - t : null;
}

/**
 * ms to import the screen's modules as shipped: the bundle's screen chunk (src/ui/, Ink, React,
 * yoga) and its modules' initialization, after the rest of the bundle is loaded, with React's
 * production build as perfscope picks it (scripts/bundle.mjs names the files).
 */
export function timeScreenImport(): number | null {
  const file = (name: string) => JSON.stringify(path.join(PACKAGE_ROOT, 'dist', name));
  const script = `process.env.NODE_ENV ||= 'production'; await import(${file('perfscope-app.js')}); const t = performance.now(); await import(${file('perfscope-screen.js')}); console.log(performance.now() - t);`;
  const r = run(process.execPath, ['--input-type=module', '-e', script]);
  const ms = Number(r.stdout.trim());
  return r.code === 0 && r.stdout.trim() !== '' && Number.isFinite(ms) ? ms : null;
}

export function killSession(name: string): void {
  tmux('kill-session', '-t', name);
}

export interface WindowResult {
  seconds: number;
  cpu_pct: number | null;
  rss_kb_max: number | null;
  rss_kb_end: number | null;
  bytes_per_s: number | null;
}

/** Start copying the pane's output to `file` (what perfscope writes to its terminal). */
export function pipeToFile(name: string, file: string): boolean {
  writeFileSync(file, '');
  return tmux('pipe-pane', '-o', '-t', name, `cat >> '${file}'`).code === 0;
}

function size(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

/** CPU, RSS and terminal bytes of the perfscope process over `seconds`. */
export async function measureWindow(session: Session, outFile: string, seconds: number): Promise<WindowResult> {
  const pid = session.pid;
  const c0 = pid ? cpuNs(pid) : null;
  const b0 = size(outFile);
  const t0 = performance.now();
  let rssMax: number | null = null;
  let rssEnd: number | null = null;
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(500, Math.max(0, end - performance.now())));
    const r = pid ? rssKb(pid) : null;
    if (r !== null) {
      rssEnd = r;
      rssMax = Math.max(rssMax ?? 0, r);
    }
  }
  const dt = (performance.now() - t0) / 1000;
  const c1 = pid ? cpuNs(pid) : null;
  // pipe-pane's cat may lag a little behind the pane: give it a moment before reading the size.
  await sleep(100);
  const b1 = size(outFile);
  return {
    seconds: dt,
    cpu_pct: c0 !== null && c1 !== null ? cpuPercent(c1 - c0, 1e9, dt) : null,
    rss_kb_max: rssMax,
    rss_kb_end: rssEnd,
    bytes_per_s: b0 !== null && b1 !== null ? perSecond(b1 - b0, dt) : null,
  };
}

// ---- The storm part ----

/** The frame writer (and Ink) bracket every frame in a synchronized update: one "begin" mark per frame. */
const FRAME_MARK = Buffer.from('\x1b[?2026h');

/** Frame marks in bytes [from, to) of a file (what pipe-pane copied of the terminal output). */
function framesIn(file: string, from: number, to: number): number {
  if (to <= from) return 0;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(to - from);
    readSync(fd, b, 0, b.length, from);
    let n = 0;
    for (let i = b.indexOf(FRAME_MARK); i >= 0; i = b.indexOf(FRAME_MARK, i + FRAME_MARK.length)) n++;
    return n;
  } finally {
    closeSync(fd);
  }
}

export interface StormWindowResult extends WindowResult {
  /** Frames drawn in each whole second of the storm (frame marks in the terminal output). */
  frames_per_s: number[];
  /** The fewest of them. */
  frames_per_s_min: number | null;
  /** The longest time between two frames in the storm, ms (to within FRAME_POLL_MS). */
  frame_gap_ms_max: number | null;
}

/** How often the terminal output is looked at for new frames in the storm. */
const FRAME_POLL_MS = 50;

/**
 * measureWindow through a storm, plus the frames drawn in each of its seconds and the longest
 * gap between two frames. At 80x24 the screen shows the overview, which changes once per
 * interval: about one frame per second, so a frame a little late leaves one second with 0 and
 * the next with 2; the longest gap says whether the screen kept its pace (the goal: ≥ 1 frame
 * per second, i.e. no gap much over the 1 s interval).
 */
export async function measureStormWindow(session: Session, outFile: string, seconds: number): Promise<StormWindowResult> {
  const frames: number[] = [];
  const times: number[] = [];
  let stop = false;
  const t0 = performance.now();
  const counting = (async () => {
    let at = size(outFile) ?? 0;
    let bin = 0;
    let inBin = 0;
    while (!stop) {
      await sleep(FRAME_POLL_MS);
      const t = performance.now();
      // pipe-pane's cat lags the pane by little: bytes seen at t were drawn by about t.
      const now = size(outFile) ?? at;
      const n = framesIn(outFile, at, now);
      at = now;
      while (t - t0 >= (bin + 1) * 1000) {
        frames.push(inBin);
        inBin = 0;
        bin++;
      }
      inBin += n;
      if (n > 0) times.push(t);
    }
  })();
  const w = await measureWindow(session, outFile, seconds);
  stop = true;
  await counting;
  const whole = frames.slice(0, Math.floor(seconds));
  let gap: number | null = null;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap ?? 0, times[i] - times[i - 1]);
  return { ...w, frames_per_s: whole, frames_per_s_min: whole.length ? Math.min(...whole) : null, frame_gap_ms_max: gap === null ? null : Math.round(gap) };
}

export interface AfterStormResult {
  seconds: number;
  /** RSS each second after the storm ended, KiB. */
  rss_kb: (number | null)[];
  /** RSS at the end of the window. */
  rss_kb_end: number | null;
  /** First second after which RSS stayed within 5 % of the rest level (null: never in the window). */
  back_at_s: number | null;
}

/** RSS of the perfscope process each second for `seconds` after a storm, against its rest level. */
export async function measureAfterStorm(session: Session, seconds: number, restKb: number | null): Promise<AfterStormResult> {
  const pid = session.pid;
  const rss: (number | null)[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    rss.push(pid ? rssKb(pid) : null);
  }
  let back: number | null = null;
  if (restKb !== null) {
    for (let i = rss.length - 1; i >= 0; i--) {
      const r = rss[i];
      if (r === null || r > restKb * 1.05) break;
      back = i + 1;
    }
  }
  return { seconds, rss_kb: rss, rss_kb_end: rss.length ? rss[rss.length - 1] : null, back_at_s: back };
}
