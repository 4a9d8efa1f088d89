// perfscope in a real terminal: the binary in a detached tmux session of 80×24 on a private
// server (tmux -L perfscope-bench), read back with capture-pane; its output bytes through
// pipe-pane; its CPU time and RSS from /proc. The command runs under `timeout --foreground`, so
// even a killed bench leaves no perfscope behind for long.
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
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
    if (times.frame_ms !== null && FIRST_INTERVAL_RE.test(screen.join("\n"))) {
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
