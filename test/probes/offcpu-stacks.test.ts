// The off-CPU stacks of the offcpu probe against the real kernel: a program built here with
// frame pointers sleeps 20 ms at a time from sleeper_fn; its off-CPU stack, the kernel's
// nanosleep path under sleeper_fn, holds the interval's length; a kernel thread (the RCU
// grace-period thread, which the probe's own generation flips wake) has a kernel-only stack;
// the stacks' object loads and unloads live with --offcpu-stacks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { OffcpuProbe } from '../../src/probes/offcpu.js';
import type { OffStackRow } from '../../src/probes/offcpu-spec.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { symbolizerIdle } from '../../src/stacks/resolve.js';
import { buildStackwork, config, kernelNames, sleep, startWork, userNames, type Work } from './helpers/stacks.js';

/** Is this task a kernel thread (PF_KTHREAD in /proc/PID/stat's flags)? */
function isKthread(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
    return (flags & 0x00200000) !== 0;
  } catch {
    return false;
  }
}

describe.skipIf(noBpf)('off-CPU stacks (real BPF)', () => {
  let built: ReturnType<typeof buildStackwork>;
  let probe: OffcpuProbe | null = null;
  let work: Work | null = null;
  beforeAll(() => {
    built = buildStackwork();
  });
  afterAll(() => rmSync(built.dir, { recursive: true, force: true }));
  afterEach(async () => {
    if (work && work.child.exitCode === null) work.child.kill('SIGKILL');
    work = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('sleeping 20 ms at a time from sleeper_fn: one stack, sleeper_fn over the kernel nanosleep path, holding the interval', async () => {
    work = await startWork(built.bin, ['sleep', '200']);
    const pid = work.child.pid!;
    probe = new OffcpuProbe();
    // Only its stacks (-p in the kernel): what is resolved within the interval's budget is its own.
    await probe.startAsync(config({ pid, options: { 'offcpu-stacks': true } }));
    work.go();
    await sleep(300);
    // A generation begins when its flip does: at the start of sample().
    const t0 = performance.now();
    probe.sample();
    await sleep(1000);
    await symbolizerIdle(); // its files, parsed in the background since it was announced
    const length = (performance.now() - t0) * 1000; // us
    const s = probe.sample();
    const mine = (s.stacks?.rows ?? []).filter((r: OffStackRow) => r.pid === pid);
    expect(mine.length).toBeGreaterThan(0);
    const top = mine.sort((a, b) => b.total_us - a.total_us)[0];
    expect(userNames(top).slice(-2)).toEqual(['main', 'sleeper_fn']);
    const kernel = kernelNames(top);
    expect(kernel.some((n) => n !== null && /nanosleep/.test(n))).toBe(true);
    expect(top.frames.slice(top.user_frames).every((f) => f.module === '[kernel]' || f.module.startsWith('['))).toBe(true);
    // The absences that ended in the interval add up to its length, within 5 %: the process is
    // off the CPU all along but for microseconds, and one 20 ms absence may straddle each end.
    const total = mine.reduce((a, r) => a + r.total_us, 0);
    expect(Math.abs(total - length) / length).toBeLessThan(0.05);
    expect(s.stacks!.returns).toBe(s.stacks!.rows.reduce((a, r) => a + r.count, 0) + s.stacks!.other + s.stacks!.lost);
  });

  it('a kernel thread has a kernel-only stack', async () => {
    probe = new OffcpuProbe();
    await probe.startAsync(config({ options: { 'offcpu-stacks': true } }));
    probe.sample(); // the flips wait for RCU grace periods: the grace-period kthread runs
    await sleep(500);
    await symbolizerIdle(); // kallsyms, loaded in the background since the probe started
    const rows = [...(probe.sample().stacks?.rows ?? []), ...(await sleep(500).then(() => probe!.sample().stacks?.rows ?? []))];
    const kthreads = rows.filter((r) => isKthread(r.pid));
    expect(kthreads.length).toBeGreaterThan(0);
    for (const r of kthreads) {
      expect(r.user_frames).toBe(0);
      expect(r.frames.length).toBeGreaterThan(0);
    }
    expect(kthreads.some((r) => r.frames.some((f) => f.sym !== null && f.module === '[kernel]'))).toBe(true);
  });

  it('--offcpu-stacks live: the stacks object loads and unloads, the maxima go on', async () => {
    probe = new OffcpuProbe();
    await probe.startAsync(config());
    const before = probe.progIds().length;
    expect(probe.sample().stacks).toBeNull();
    await probe.setOption('offcpu-stacks', true);
    expect(probe.sample().stacks).not.toBeNull();
    await probe.setOption('offcpu-stacks', false);
    expect(probe.sample().stacks).toBeNull();
    expect(probe.progIds().length).toBe(before);
  });
});
