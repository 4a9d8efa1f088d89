// What the bench reads about other processes: their process trees, CPU time and RSS from /proc,
// the BPF programs they hold (from /proc/PID/fdinfo, since Debian's bpftool cannot show owning
// pids), and those programs' run statistics (bpftool prog show -j).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { RunStats } from './stats.js';

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Fields of /proc/PID/stat after the comm (index 0 = state, i.e. field 3 of proc(5)). */
function statFields(pid: number): string[] | null {
  const s = readText(`/proc/${pid}/stat`);
  if (!s) return null;
  const close = s.lastIndexOf(')');
  return s
    .slice(close + 2)
    .trim()
    .split(/\s+/);
}

/** pid and its descendants, by parent pid from /proc/PID/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

export function cmdline(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

/** utime + stime of a process in clock ticks (its own threads; children that were reaped not included), or null. */
export function cpuTicks(pid: number): number | null {
  const f = statFields(pid);
  if (!f) return null;
  return Number(f[11]) + Number(f[12]);
}

/**
 * CPU time of a process in ns, summed over its live threads (/proc/PID/task/TID/schedstat: the
 * scheduler's exact run time, not 10 ms ticks), falling back to utime+stime; null when gone.
 */
export function cpuNs(pid: number): number | null {
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let sum = 0;
  let any = false;
  for (const t of tids) {
    const s = readText(`/proc/${pid}/task/${t}/schedstat`);
    if (!s) continue;
    const v = Number(s.split(' ')[0]);
    if (Number.isFinite(v)) {
      sum += v;
      any = true;
    }
  }
  if (any) return sum;
  const ticks = cpuTicks(pid);
  return ticks === null ? null : ticks * 1e7;
}

/** The perfscope node process in a tree (not the `timeout` that runs it). */
export function findNodeProcess(pids: readonly number[], marker: string): number | null {
  return pids.find((p) => cmdline(p).includes(marker) && (readText(`/proc/${p}/comm`) ?? '').trim() !== 'timeout') ?? null;
}

/** Resident set size in KiB (VmRSS), or null. */
export function rssKb(pid: number): number | null {
  const s = readText(`/proc/${pid}/status`);
  const m = s ? /^VmRSS:\s+(\d+)\s+kB/m.exec(s) : null;
  return m ? Number(m[1]) : null;
}

/** Ids of the BPF programs held by these processes through program or link fds. */
export function heldProgramIds(pids: readonly number[]): number[] {
  const ids = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('anon_inode:bpf-prog') && !target.startsWith('anon_inode:bpf_link')) continue;
      const m = /^prog_id:\s*(\d+)/m.exec(readText(`/proc/${pid}/fdinfo/${fd}`) ?? '');
      if (m) ids.add(Number(m[1]));
    }
  }
  return [...ids].sort((a, b) => a - b);
}

interface BpftoolProg {
  id: number;
  name?: string;
  run_time_ns?: number;
  run_cnt?: number;
}

/** Every loaded program's cumulative run statistics, by id (bpftool prog show -j). */
export function programStats(): Map<number, RunStats & { name: string }> {
  const out = new Map<number, RunStats & { name: string }>();
  let progs: BpftoolProg[] = [];
  try {
    progs = JSON.parse(
      execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as BpftoolProg[];
  } catch {
    return out;
  }
  for (const p of progs) out.set(p.id, { runTimeNs: p.run_time_ns ?? 0, runCnt: p.run_cnt ?? 0, name: p.name ?? '' });
  return out;
}

/** Ids of every loaded program. */
export function loadedProgramIds(): Set<number> {
  return new Set(programStats().keys());
}
