// perfscope's screen at rest, beside two peers at rest in the same run: the screen with every
// probe of the catalogue on (profile included) in tmux at 80×24 and at 160×48 (every pane of the
// grid), then a bpftrace tool and a libbpf-tools tool left running. Each is measured over the same
// window, after the same settling time: CPU as the scheduler's run time of all its threads
// (schedstat), RSS (VmRSS) every second, and how much RSS grew from the window's first seconds to
// its last (creep: a cache that never empties shows here).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOGUE } from '../src/catalogue/catalogue.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { exited, run, spawnTracked, stopChild } from './children.js';
import { cpuNs, findNodeProcess, processTree, rssKb } from './host.js';
import { median } from './stats.js';
import { TMUX_SOCKET, killTmuxServer } from './terminal.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RestResult {
  label: string;
  /** "80x24" for the screen; null for a peer. */
  size: string | null;
  /** The screen's --probes (every probe of the catalogue). */
  probes?: string;
  status: 'ok' | 'failed';
  reason?: string;
  seconds: number;
  cpu_pct: number | null;
  rss_kb_max: number | null;
  /** Median RSS of the window's first 5 samples and of its last 5 (1 s apart). */
  rss_kb_first: number | null;
  rss_kb_last: number | null;
  /** (last − first) ÷ first, %. */
  rss_growth_pct: number | null;
  /** Peak RSS over the process's life (VmHWM), the screen only. */
  hwm_kb: number | null;
}

/** Every probe of the catalogue, as --probes takes them. */
export const EVERY_PROBE = CATALOGUE.map((p) => p.name).join(',');

function vmHwmKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** CPU % of one CPU and RSS samples of the processes `pids()` names, over `seconds`. */
async function sample(pids: () => number[], seconds: number): Promise<Omit<RestResult, 'label' | 'size' | 'status' | 'hwm_kb'>> {
  const cpu = () => {
    let sum = 0;
    for (const p of pids()) sum += cpuNs(p) ?? 0;
    return sum;
  };
  const rss = () => {
    let sum = 0;
    for (const p of pids()) sum += rssKb(p) ?? 0;
    return sum;
  };
  const c0 = cpu();
  const t0 = performance.now();
  const samples: number[] = [];
  for (let i = 1; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    samples.push(rss());
  }
  const dt = (performance.now() - t0) / 1000;
  const c1 = cpu();
  const k = Math.min(5, Math.max(1, samples.length >> 1));
  const first = median(samples.slice(0, k));
  const last = median(samples.slice(-k));
  return {
    seconds: dt,
    cpu_pct: (100 * (c1 - c0)) / 1e9 / dt,
    rss_kb_max: samples.length ? Math.max(...samples) : null,
    rss_kb_first: first,
    rss_kb_last: last,
    rss_growth_pct: first && last !== null ? (100 * (last - first)) / first : null,
  };
}

function tmux(...args: string[]) {
  return run('tmux', ['-L', TMUX_SOCKET, ...args], 10_000);
}

/** The screen in a fresh tmux session of `cols`×`rows` with every probe, measured after `settleS`. */
async function screenAtRest(cols: number, rows: number, settleS: number, seconds: number): Promise<RestResult> {
  const name = `rest${cols}x${rows}`;
  const label = `perfscope screen ${cols}×${rows}, every probe`;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const limit = settleS + seconds + 60;
  const cmd = `exec timeout --foreground -s TERM ${limit} ${q(process.execPath)} ${q(path.join(PACKAGE_ROOT, 'bin', 'perfscope.js'))} --probes ${EVERY_PROBE}`;
  const fail = (reason: string): RestResult => ({
    label,
    size: `${cols}x${rows}`,
    status: 'failed',
    reason,
    seconds: 0,
    cpu_pct: null,
    rss_kb_max: null,
    rss_kb_first: null,
    rss_kb_last: null,
    rss_growth_pct: null,
    hwm_kb: null,
  });
  const r = tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), cmd);
  if (r.code !== 0) return fail(`tmux new-session: ${r.stderr.trim().split('\n')[0]}`);
  try {
    await sleep(settleS * 1000);
    const pane = Number(tmux('display-message', '-p', '-t', name, '#{pane_pid}').stdout.trim());
    const pid = pane ? findNodeProcess(processTree(pane), 'perfscope.js') : null;
    if (!pid) return fail('perfscope was not running in its tmux session');
    const s = await sample(() => [pid], seconds);
    return { label, size: `${cols}x${rows}`, probes: EVERY_PROBE, status: 'ok', ...s, hwm_kb: vmHwmKb(pid) };
  } finally {
    tmux('kill-session', '-t', name);
  }
}

function findBt(name: string): string | null {
  for (const d of ['/usr/share/bpftrace/tools', '/usr/sbin', '/usr/local/share/bpftrace/tools']) {
    const p = path.join(d, `${name}.bt`);
    if (existsSync(p)) return p;
  }
  return null;
}

/** A peer tool left running at rest: started, settled, then its process tree measured. */
async function peerAtRest(label: string, cmd: string | null, args: string[], settleS: number, seconds: number): Promise<RestResult> {
  const fail = (reason: string): RestResult => ({
    label,
    size: null,
    status: 'failed',
    reason,
    seconds: 0,
    cpu_pct: null,
    rss_kb_max: null,
    rss_kb_first: null,
    rss_kb_last: null,
    rss_growth_pct: null,
    hwm_kb: null,
  });
  if (!cmd) return fail('not installed');
  const child = spawnTracked('timeout', ['-s', 'INT', String(settleS + seconds + 30), cmd, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await sleep(settleS * 1000);
    if (child.exitCode !== null || child.pid === undefined) return fail(`exited with ${child.exitCode} before the window`);
    const root = child.pid;
    const s = await sample(() => processTree(root), seconds);
    return { label, size: null, status: 'ok', ...s, hwm_kb: null };
  } finally {
    await stopChild(child, 'SIGINT');
    await exited(child);
  }
}

/**
 * The screen at rest (80×24 and 160×48, every probe) and, when `peers`, bpftrace's execsnoop.bt
 * and libbpf-tools' runqlat at rest, one after the other, each for `seconds` after `settleS`.
 */
export async function restPart(seconds: number, settleS: number, peers: boolean, log: (s: string) => void): Promise<RestResult[]> {
  const out: RestResult[] = [];
  try {
    for (const [c, r] of [
      [80, 24],
      [160, 48],
    ] as const) {
      log(`perfscope at rest in tmux ${c}×${r}, every probe: ${settleS} s to settle, ${seconds} s measured`);
      out.push(await screenAtRest(c, r, settleS, seconds));
    }
  } finally {
    killTmuxServer();
  }
  if (peers) {
    log(`peers at rest: bpftrace execsnoop.bt, libbpf-tools runqlat (${seconds} s each)`);
    out.push(await peerAtRest('bpftrace execsnoop.bt', findBt('execsnoop') ? 'bpftrace' : null, [findBt('execsnoop') ?? ''], settleS, seconds));
    out.push(await peerAtRest('libbpf-tools runqlat', existsSync('/usr/sbin/runqlat') ? '/usr/sbin/runqlat' : null, [], settleS, seconds));
  }
  return out;
}

// ---- Consoles at rest: perfscope, btop and htop side by side (issue 30) ----

/** The three consoles of the table, each in its own tmux session of the same size, 1 s refresh. */
export type ConsoleName = 'perfscope' | 'btop' | 'htop';
export const CONSOLES: readonly ConsoleName[] = ['perfscope', 'btop', 'htop'];

export interface ConsoleCell {
  console: ConsoleName;
  /** Extra sleeping tasks on the host while it ran (0: the host as it is). */
  extra_tasks: number;
  size: string;
  status: 'ok' | 'failed';
  reason?: string;
  /** ms from `tmux new-session` to the first drawn frame (capture-pane polled every 10 ms). */
  first_frame_ms: number | null;
  seconds: number;
  cpu_pct: number | null;
  rss_kb_last: number | null;
  rss_kb_max: number | null;
}

export interface ConsolesReport {
  /** 'threads' or 'procs': what the extra tasks were (psload sleepers). */
  task_kind: string;
  settle_s: number;
  window_s: number;
  /** Tasks on the host (the 4th field of /proc/loadavg) at each load, measured when the window began. */
  host_tasks: Record<string, number>;
  cells: ConsoleCell[];
  /** Consoles that are not installed (apt-get install btop htop). */
  missing: string[];
  /** Each console measured alone in turn (--consoles-apart), not the three together. */
  apart?: boolean;
}

function which(cmd: string): string | null {
  for (const d of ['/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin']) {
    const p = path.join(d, cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

/** A drawn frame, by console: perfscope's status line, htop's function-key bar, btop's boxes. */
const DRAWN: Record<ConsoleName, (rows: string[]) => boolean> = {
  perfscope: (rows) => rows.some((l) => /\b(offcpu|runqlat|exec|proc)\b/.test(l)) && rows.filter((l) => l.trim()).length > 3,
  htop: (rows) => rows.some((l) => /F1\s*Help/.test(l)),
  btop: (rows) => rows.some((l) => /cpu|proc/i.test(l)) && rows.some((l) => /[╭┌─]/.test(l)),
};

function consoleCommand(c: ConsoleName, limitS: number): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const t = `exec timeout --foreground -s TERM ${limitS}`;
  if (c === 'perfscope') return `${t} ${q(path.join(PACKAGE_ROOT, 'bin', 'perfscope.js'))} --no-save`;
  // htop -d 10: 1 s refresh (tenths of a second); btop: update_ms = 1000 in its config (below).
  if (c === 'htop') return `${t} htop -d 10`;
  return `${t} btop`;
}

/** A private HOME for the consoles: btop's config with a 1 s refresh, nothing saved in the real one. */
function consoleHome(dir: string): string {
  const home = path.join(dir, 'consoles-home');
  mkdirSync(path.join(home, '.config', 'btop'), { recursive: true });
  writeFileSync(path.join(home, '.config', 'btop', 'btop.conf'), 'update_ms = 1000\n');
  return home;
}

function paneRows(session: string): string[] {
  const r = tmux('capture-pane', '-p', '-t', session);
  return r.code === 0 ? r.stdout.split('\n') : [];
}

/** Start one console in its own session; resolves with the ms to its first drawn frame (null: none in `timeoutMs`). */
async function startConsole(
  c: ConsoleName,
  session: string,
  cols: number,
  rows: number,
  home: string,
  limitS: number,
  timeoutMs: number,
): Promise<number | null> {
  const t0 = performance.now();
  const r = tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(cols),
    '-y',
    String(rows),
    '-e',
    `HOME=${home}`,
    '-e',
    `XDG_CONFIG_HOME=${home}/.config`,
    consoleCommand(c, limitS),
  );
  if (r.code !== 0) throw new Error(`tmux new-session: ${r.stderr.trim().split('\n')[0]}`);
  while (performance.now() - t0 < timeoutMs) {
    if (DRAWN[c](paneRows(session))) return performance.now() - t0;
    await sleep(10);
  }
  return null;
}

function panePid(session: string): number | null {
  const n = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').stdout.trim());
  return n > 0 ? n : null;
}

/** The extra sleeping tasks of a load: psload sleepers, ready when it says so. */
async function startSleepers(psload: string, n: number, seconds: number, kind: string): Promise<ReturnType<typeof spawnTracked> | null> {
  if (n === 0) return null;
  const child = spawnTracked(psload, ['sleepers', String(n), String(seconds), kind], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve(true);
    });
    child.once('exit', () => resolve(false));
    setTimeout(() => resolve(false), 120_000).unref();
  });
  if (!ready) {
    await stopChild(child, 'SIGKILL');
    throw new Error(`psload sleepers ${n} ${kind}: ${err.trim().split('\n')[0] || 'not ready'}`);
  }
  return child;
}

function hostTaskCount(): number {
  try {
    return Number(/\d+\/(\d+)/.exec(readFileSync('/proc/loadavg', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * perfscope (default probes, as started by `perfscope`), btop and htop at rest, side by side: for
 * each load (the host as it is, then `extra` more sleeping tasks) and each size, the three start
 * one after the other (the order rotates; each first frame is timed while the others already run
 * at rest), settle `settleS`, and are then measured over the same `seconds`: CPU of each one's
 * process tree (schedstat of all threads), RSS (VmRSS, summed over the tree) each second.
 */
export async function consolesPart(
  psload: string,
  dir: string,
  opts: { seconds: number; settleS: number; extra: readonly number[]; kind: 'threads' | 'procs'; apart?: boolean },
  log: (s: string) => void,
): Promise<ConsolesReport> {
  const missing = (['btop', 'htop'] as const).filter((c) => !which(c));
  const present = CONSOLES.filter((c) => !missing.includes(c as 'btop' | 'htop'));
  const home = consoleHome(dir);
  const sizes = [
    [80, 24],
    [160, 48],
  ] as const;
  const report: ConsolesReport = {
    task_kind: opts.kind,
    settle_s: opts.settleS,
    window_s: opts.seconds,
    host_tasks: {},
    cells: [],
    missing,
    apart: opts.apart === true,
  };
  const perCell = opts.apart ? 3 * (opts.settleS + opts.seconds + 15 + 2) : opts.settleS + opts.seconds + 3 * 15 + 10;
  let round = 0;
  const runGroup = async (group: readonly ConsoleName[], cols: number, rows: number, size: string, extra: number): Promise<void> => {
    const started: { c: ConsoleName; session: string; first: number | null; error?: string }[] = [];
    for (const c of group) {
      const session = `cons-${c}-${size}-${extra}`;
      try {
        const first = await startConsole(c, session, cols, rows, home, perCell + 30, 15_000);
        started.push({ c, session, first });
      } catch (e) {
        started.push({ c, session, first: null, error: (e as Error).message });
      }
      await sleep(500);
    }
    await sleep(opts.settleS * 1000);
    report.host_tasks[String(extra)] = hostTaskCount();
    // Each one's process tree, once (walking /proc each second would be the bench's own load).
    const trees = started.map((s) => {
      const pane = s.error ? null : panePid(s.session);
      return pane ? processTree(pane) : [];
    });
    const windows = await Promise.all(trees.map((t) => (t.length ? sample(() => t, opts.seconds) : null)));
    started.forEach((s, i) => {
      const w = windows[i];
      const ok = !s.error && w !== null && w.cpu_pct !== null;
      report.cells.push({
        console: s.c,
        extra_tasks: extra,
        size,
        status: ok ? 'ok' : 'failed',
        reason: s.error ?? (w ? (s.first === null ? 'no frame drawn in 15 s' : undefined) : 'not running'),
        first_frame_ms: s.first === null ? null : Math.round(s.first),
        seconds: w?.seconds ?? 0,
        cpu_pct: w?.cpu_pct ?? null,
        rss_kb_last: w?.rss_kb_last ?? null,
        rss_kb_max: w?.rss_kb_max ?? null,
      });
    });
    for (const s of started) tmux('kill-session', '-t', s.session);
    await sleep(500);
  };
  try {
    for (const extra of [0, ...opts.extra]) {
      log(`consoles at rest: ${extra ? `${extra} extra sleeping ${opts.kind}` : 'the host as it is'}`);
      let sleepers: ReturnType<typeof spawnTracked> | null = null;
      try {
        sleepers = await startSleepers(psload, extra, sizes.length * perCell + 30, opts.kind);
      } catch (e) {
        for (const [c, r] of sizes)
          for (const name of present)
            report.cells.push({
              console: name,
              extra_tasks: extra,
              size: `${c}x${r}`,
              status: 'failed',
              reason: (e as Error).message,
              first_frame_ms: null,
              seconds: 0,
              cpu_pct: null,
              rss_kb_last: null,
              rss_kb_max: null,
            });
        continue;
      }
      try {
        for (const [cols, rows] of sizes) {
          const size = `${cols}x${rows}`;
          const order = present.map((_, i) => present[(i + round) % present.length]);
          round++;
          // Together (as issue 30 measured them), or each alone in turn (--consoles-apart): side by
          // side, each console's work shows in the others' (htop reading /proc of 20,000 threads is
          // a storm of opens for perfscope's open feed).
          for (const group of opts.apart ? order.map((c) => [c]) : [order]) await runGroup(group, cols, rows, size, extra);
        }
      } finally {
        if (sleepers) await stopChild(sleepers, 'SIGKILL');
      }
    }
  } finally {
    killTmuxServer();
  }
  return report;
}
