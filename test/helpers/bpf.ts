// Shared by the probe tests: they need root and BPF. In CI (PERFSCOPE_REQUIRE_BPF=1) a missing
// capability is a failure, never a silent skip.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { bpfUnavailableReason } from '../../src/bpf/caps.js';

export const bpfReason = bpfUnavailableReason();
export const requireBpf = process.env.PERFSCOPE_REQUIRE_BPF === '1';
if (bpfReason && requireBpf) throw new Error(`BPF tests required (PERFSCOPE_REQUIRE_BPF=1) but BPF is unavailable: ${bpfReason}`);
/** describe.skipIf(noBpf): skipped only outside CI, where BPF cannot run. */
export const noBpf = bpfReason !== null;

/**
 * Ids of the BPF programs a process holds, through program or link fds (from /proc/PID/fdinfo).
 * Debian's bpftool cannot show owning pids, and other processes may run BPF at the same time,
 * so ownership is read from the process's own file descriptors.
 */
export function heldProgramIds(pid: number | 'self' = 'self'): number[] {
  const ids = new Set<number>();
  const dir = `/proc/${pid}/fd`;
  let fds: string[] = [];
  try {
    fds = readdirSync(dir);
  } catch {
    return [];
  }
  for (const fd of fds) {
    let target = '';
    try {
      target = readlinkSync(`${dir}/${fd}`);
    } catch {
      continue;
    }
    if (!target.startsWith('anon_inode:bpf-prog') && !target.startsWith('anon_inode:bpf_link')) continue;
    try {
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const m = /^prog_id:\s*(\d+)/m.exec(info);
      if (m) ids.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return [...ids].sort((a, b) => a - b);
}

interface BpftoolProg {
  id: number;
  name?: string;
}

/** Programs loaded in the kernel (bpftool prog show). */
export function loadedPrograms(): BpftoolProg[] {
  const out = execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' });
  return JSON.parse(out) as BpftoolProg[];
}

/** Which of these program ids the kernel still has loaded. */
export function stillLoaded(ids: readonly number[]): number[] {
  const live = new Set(loadedPrograms().map((p) => p.id));
  return ids.filter((id) => live.has(id));
}

/**
 * Program ids still loaded after up to `ms` of waiting: the kernel frees a program
 * asynchronously (after an RCU grace period) once its last fd and link are gone.
 */
export async function waitUnloaded(ids: readonly number[], ms = 3000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = stillLoaded(ids);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    left = stillLoaded(ids);
  }
  return left;
}

/**
 * Stop a probe (if any) and check that nothing of it is left: no program or link fd in this
 * process, and its programs gone from the kernel (`ids`: taken before stop, as a stopped probe
 * no longer knows them; default: the probe's own).
 */
export async function stopAndExpectUnloaded(probe: { progIds(): number[]; stop(): void } | null, ids?: readonly number[]): Promise<void> {
  const progs = ids ?? probe?.progIds() ?? [];
  probe?.stop();
  expect(heldProgramIds()).toEqual([]);
  expect(await waitUnloaded(progs)).toEqual([]);
}

/** bpf_link fds this process holds (one per attached program or tracepoint of its probes). */
export function linkFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf_link') n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}
