// perfscope's screen at rest, beside two peers at rest in the same run: the screen with every
// probe of the catalogue on (profile included) in tmux at 80×24 and at 160×48 (every pane of the
// grid), then a bpftrace tool and a libbpf-tools tool left running. Each is measured over the same
// window, after the same settling time: CPU as the scheduler's run time of all its threads
// (schedstat), RSS (VmRSS) every second, and how much RSS grew from the window's first seconds to
// its last (creep: a cache that never empties shows here).
import { existsSync, readFileSync } from 'node:fs';
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
