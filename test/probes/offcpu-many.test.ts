// The off-CPU aggregation holds a host's many threads: its generations are sized from the host
// at load (offcpuRowsFor), and 10,000 threads that each come back once in an interval all have
// their row, with no overflow. The threads wait on one condition variable and are woken by one
// broadcast between two samples (after a first round, which stamps their switch-outs, and until each is seen asleep in /proc); the helper says when every one of them has run again, so the
// interval holds each thread's return whatever the scheduler does in between.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OffcpuProbe } from '../../src/probes/offcpu.js';
import { OFFCPU_ROWS_MAX, OFFCPU_ROWS_MIN, hostTasks, offcpuRowsFor } from '../../src/probes/sched.js';
import { onlineCpus } from '../../src/probes/cpus.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';

const SRC = fileURLToPath(new URL('./helpers/manythreads.c', import.meta.url));
const THREADS = 10_000;

describe('off-CPU rows sized from the host', () => {
  it('twice the threads, a power of two, 16,384 to 262,144, at most twice pid_max', () => {
    expect(offcpuRowsFor(0, 0)).toBe(OFFCPU_ROWS_MIN);
    expect(offcpuRowsFor(300, 32768)).toBe(16_384);
    expect(offcpuRowsFor(8_193, 32768)).toBe(32_768);
    expect(offcpuRowsFor(20_000, 32768)).toBe(65_536);
    expect(offcpuRowsFor(20_000, 4_194_304)).toBe(65_536);
    expect(offcpuRowsFor(30_000, 32768)).toBe(65_536); // 2 x pid_max
    expect(offcpuRowsFor(1_000_000, 4_194_304)).toBe(OFFCPU_ROWS_MAX);
    const h = hostTasks();
    expect(h.tasks).toBeGreaterThan(0);
    expect(h.pidMax).toBeGreaterThan(0);
    expect(hostTasks('/nonexistent')).toEqual({ tasks: 0, pidMax: 0 });
  });
});

/** Resolves once every thread of `tids` is asleep (state S or D in its /proc stat); throws after 20 s. */
async function allAsleep(pid: number, tids: ReadonlySet<number>): Promise<void> {
  const left = new Set(tids);
  const until = Date.now() + 20_000;
  while (left.size > 0) {
    for (const t of left) {
      const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'latin1');
      const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
      if (state === 'S' || state === 'D') left.delete(t);
    }
    if (left.size === 0) return;
    if (Date.now() > until) throw new Error(`${left.size} threads still not asleep after 20 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(noBpf)('10,000 threads (real BPF)', () => {
  let dir = '';
  let bin = '';
  let child: ChildProcess | null = null;
  let probe: OffcpuProbe | null = null;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-threads-'));
    bin = path.join(dir, 'manythreads');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', bin, SRC]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('each of 10,000 threads woken once in an interval has its row; overflow 0', async () => {
    child = spawn(bin, [String(THREADS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const tids = new Set<number>();
    for (;;) {
      const l = (await lines.next()).value as string | undefined;
      if (l === undefined) throw new Error('manythreads exited before it was ready');
      if (l === 'ready') break;
      tids.add(Number(l.slice(2)));
    }
    expect(tids.size).toBe(THREADS);
    probe = new OffcpuProbe({ topPerCpu: Infinity });
    probe.start({ pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus() });
    // Round 1: each thread's switch-out back into its wait is stamped (a task that left before
    // the probe started has no stamp: its first return is not measured).
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('woke 1');
    // "woke" says each thread is back in its wait, not that it sleeps: one still between the
    // mutex's release and its futex wait (runnable behind 9,999 others on a busy host) would see
    // the next broadcast before it sleeps, and not leave the CPU at all. Each is asleep first.
    await allAsleep(child.pid!, tids);
    probe.sample(); // the interval starts now: every return after this is in the next sample
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('woke 2');
    const s = probe.sample();
    const seen = new Set(s.rows.filter((r) => r.tgid === child!.pid).map((r) => r.pid));
    const missing = [...tids].filter((t) => !seen.has(t));
    expect(missing.length).toBe(0);
    expect(s.overflow).toBe(0);
  });
});
