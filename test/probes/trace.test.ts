// The trace probe against the real kernel: known work by a test program (fork, read, open,
// 64 different syscalls) attached after its start-up with it as the kernel filter, and exact
// counts, buckets and task rows in the intervals of the run; the -c and -C filters in the
// kernel; detaching; a tracepoint the kernel refuses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TraceProbe } from '../../src/probes/trace.js';
import type { TraceRow, TraceSample } from '../../src/probes/trace-spec.js';
import { ProbeArgError, type ProbeConfig } from '../../src/probes/types.js';
import { onlineCpus } from '../../src/probes/cpus.js';
import { linkFds, noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';

const WORK_C = fileURLToPath(new URL('./helpers/tracework.c', import.meta.url));

function config(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus(), args: [], ...over };
}

interface Work {
  child: ChildProcess;
  go(): Promise<void>;
}

/** Start the test program, wait for its "ready"; go() lets it work and resolves when it exited 0. */
async function work(bin: string, args: string[], opts: { cpu?: number } = {}): Promise<Work> {
  const cmd = opts.cpu === undefined ? bin : 'taskset';
  const argv = opts.cpu === undefined ? args : ['-c', String(opts.cpu), bin, ...args];
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  return {
    child,
    async go() {
      child.stdin!.write('go\n');
      expect(await exited).toBe(0);
    },
  };
}

/** Sum of the rows of the intervals taken so far plus one more sample. */
function rowsOf(samples: TraceSample[], id: string): TraceRow[] {
  return samples.flatMap((s) => s.tracepoints.filter((r) => r.id === id));
}

describe.skipIf(noBpf)('trace probe (real BPF)', () => {
  let dir = '';
  let bin = '';
  let probe: TraceProbe | null = null;
  let child: ChildProcess | null = null;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-trace-'));
    // A name of its own: the comm filter below matches this program only.
    bin = path.join(dir, 'tracework');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, WORK_C]);
    writeFileSync(path.join(dir, 'file'), Buffer.alloc(8192, 1));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('50 forks: exactly 50 sched:sched_process_fork for the program, by the comm filter in the kernel', async () => {
    const w = await work(bin, ['fork', '50']);
    child = w.child;
    probe = new TraceProbe();
    await probe.startAsync(config({ comm: 'tracework', args: ['sched:sched_process_fork'] }));
    const samples = [probe.sample()];
    await w.go();
    samples.push(probe.sample());
    const rows = rowsOf(samples, 'sched:sched_process_fork');
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(50);
    const tasks = rows.flatMap((r) => r.tasks);
    expect(tasks.every((t) => t.comm === 'tracework')).toBe(true);
    expect(tasks.filter((t) => t.pid === w.child.pid).reduce((a, t) => a + t.count, 0)).toBe(50);
    expect(rows.reduce((a, r) => a + r.task_lost + r.other_tasks, 0)).toBe(0);
  });

  it('1,000 reads of 4,096 bytes: 1,000 values in the [4096, 8192) bucket of syscalls:sys_enter_read:count for its pid', async () => {
    const w = await work(bin, ['read', '1000', path.join(dir, 'file')]);
    child = w.child;
    probe = new TraceProbe();
    await probe.startAsync(config({ pid: w.child.pid!, args: ['syscalls:sys_enter_read:count'] }));
    const samples = [probe.sample()];
    await w.go();
    samples.push(probe.sample());
    const rows = rowsOf(samples, 'syscalls:sys_enter_read:count');
    expect(rows.length).toBe(2);
    const bucket = (k: number) => rows.reduce((a, r) => a + (r.hist?.slots[k] ?? 0), 0);
    expect(bucket(12)).toBe(1000); // [2^12, 2^13)
    // and no other read: the program was already blocked in its read of the go line when attached
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(1000);
    expect(rows.reduce((a, r) => a + (r.hist?.count ?? 0), 0)).toBe(1000);
    expect(rows[1].hist!.unit).toBeNull();
    expect(rows[1].field).toBe('count');
  });

  it('a wildcard, syscalls:sys_enter_open*, counts the 300 openat calls of the process exactly', async () => {
    const w = await work(bin, ['open', '300', path.join(dir, 'file')]);
    child = w.child;
    probe = new TraceProbe();
    await probe.startAsync(config({ pid: w.child.pid!, args: ['syscalls:sys_enter_open*'] }));
    const samples = [probe.sample()];
    expect(samples[0].tracepoints.length).toBeGreaterThanOrEqual(3); // open, openat, openat2, open_by_handle_at, open_tree...
    await w.go();
    samples.push(probe.sample());
    expect(rowsOf(samples, 'syscalls:sys_enter_openat').reduce((a, r) => a + r.count, 0)).toBe(300);
    const all = samples.flatMap((s) => s.tracepoints).reduce((a, r) => a + r.count, 0);
    expect(all).toBe(300);
  });

  it('64 tracepoints attached at once all count (each of 64 syscalls, 3 times)', async () => {
    const names = execFileSync(bin, ['names'], { encoding: 'utf8' }).trim().split('\n').slice(0, 64);
    expect(names).toHaveLength(64);
    const ids = names.map((n) => `syscalls:sys_enter_${n}`);
    const w = await work(bin, ['syscalls', '3']);
    child = w.child;
    probe = new TraceProbe();
    const links = linkFds();
    await probe.startAsync(config({ pid: w.child.pid!, args: ids }));
    expect(linkFds() - links).toBe(64);
    const samples = [probe.sample()];
    await w.go();
    samples.push(probe.sample());
    const counts = Object.fromEntries(ids.map((id) => [id, rowsOf(samples, id).reduce((a, r) => a + r.count, 0)]));
    // write: also the "done" line; every other one exactly 3 (the go line's read began before the attach).
    const expected = Object.fromEntries(ids.map((id) => [id, id.endsWith('_write') ? 4 : 3]));
    expect(counts).toEqual(expected);
  });

  it("-C: pinned to the other CPU counts none of the program's forks; re-pinned live to its CPU, all of them", async () => {
    const cpus = onlineCpus();
    if (cpus.length < 2) return;
    const [other, mine] = [cpus[0], cpus[1]];
    probe = new TraceProbe();
    await probe.startAsync(config({ comm: 'tracework', pinnedCpu: other, args: ['sched:sched_process_fork'] }));
    const count = (s: TraceSample) => s.tracepoints.reduce((a, r) => a + r.count, 0);
    probe.sample();
    let w = await work(bin, ['fork', '20'], { cpu: mine });
    child = w.child;
    await w.go();
    expect(count(probe.sample())).toBe(0);
    probe.setPinnedCpu(mine);
    w = await work(bin, ['fork', '20'], { cpu: mine });
    child = w.child;
    await w.go();
    expect(count(probe.sample())).toBe(20);
  });

  it('setArgs attaches what is new and detaches what is gone; the last one gone unloads everything', async () => {
    probe = new TraceProbe();
    const links = linkFds();
    await probe.startAsync(config({ args: [] }));
    expect(probe.progIds()).toEqual([]); // nothing loaded without a tracepoint
    await probe.setArgs(['sched:sched_process_fork', 'sched:sched_process_exec']);
    expect(linkFds() - links).toBe(2);
    const ids = probe.progIds();
    // one object: trace_hit, and the user-space probes' seven programs (loaded, not attached;
    // three of them for multi-uprobe links, on kernels that have them)
    expect(ids.length).toBe(8);
    await probe.setArgs(['sched:sched_process_exec']);
    expect(linkFds() - links).toBe(1);
    expect(probe.sample().tracepoints.map((r) => r.id)).toEqual(['sched:sched_process_exec']);
    await probe.setArgs([]);
    expect(linkFds() - links).toBe(0);
    expect(probe.progIds()).toEqual([]);
    await stopAndExpectUnloaded(null, ids);
  });

  it('a tracepoint the kernel refuses to attach: one line with the errno, and nothing stays attached', async () => {
    // Names and formats from a directory of our own that lists one tracepoint this kernel does not have.
    const fake = path.join(dir, 'tracing');
    mkdirSync(path.join(fake, 'events', 'perfscope_test', 'nope'), { recursive: true });
    writeFileSync(path.join(fake, 'available_events'), 'sched:sched_process_fork\nperfscope_test:nope\n');
    const old = process.env.PERFSCOPE_TRACING_DIR;
    process.env.PERFSCOPE_TRACING_DIR = fake;
    const links = linkFds();
    try {
      probe = new TraceProbe();
      await probe.startAsync(config({ args: ['sched:sched_process_fork'] }));
      const err = await probe.setArgs(['sched:sched_process_fork', 'perfscope_test:nope']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProbeArgError);
      expect((err as Error).message).toMatch(/^the kernel refused to attach perfscope_test:nope \(ENOENT/);
      expect((err as Error).message).not.toContain('\n');
      // nothing changed: the first one still counts, the refused one left nothing behind
      expect(linkFds() - links).toBe(1);
      expect(probe.values()).toEqual(['sched:sched_process_fork']);
    } finally {
      if (old === undefined) delete process.env.PERFSCOPE_TRACING_DIR;
      else process.env.PERFSCOPE_TRACING_DIR = old;
    }
  });
});
