// CPU hotplug with the view pinned to CPU 1: CPU 1 is taken offline and brought back while
// `perfscope --json -C 1` runs with every probe. While it is offline every probe keeps running,
// the interval says which CPUs are online, and nothing is reported for CPU 1 (no per-CPU
// counters, no off-CPU rows, no profile samples, the isolation view says offline instead of
// charging the last task it saw); when it returns, everything resumes on it, and the profile
// probe samples it again (its perf event is opened anew: the old one never counts again).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { noBpf, requireBpf } from '../helpers/bpf.js';
import { JsonRun } from '../helpers/perfscope.js';

const CPU1 = '/sys/devices/system/cpu/cpu1/online';
const canHotplug = existsSync(CPU1);

interface Line {
  online_cpus: number[];
  probes: Record<string, { state: string; reason?: string }>;
  counters: { cpu: Record<string, unknown> };
  offcpu: { cpu: number }[];
  profile: { cpus: number[]; samples: number };
  isolation: { cpu: number | null; offline?: boolean; tasks: unknown[] };
}

const setOnline = (on: boolean) => writeFileSync(CPU1, on ? '1' : '0');

describe.skipIf(noBpf || (!canHotplug && !requireBpf))('CPU hotplug while pinned (real BPF)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    if (canHotplug && readFileSync(CPU1, 'utf8').trim() !== '1') setOnline(true);
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('CPU 1 offline and back: every probe goes on, nothing for the missing CPU, all resumes on it', async () => {
    expect(canHotplug, `${CPU1} (CPU hotplug)`).toBe(true);
    const run = new JsonRun<Line>(['-C', '1', '--interval', '0.5', '--probes', CATALOGUE.map((p) => p.name).join(',')]);
    const ps = run.child;
    children.push(ps);
    const next = () => run.next();
    const allRunning = (l: Line) => {
      for (const p of CATALOGUE) expect(l.probes[p.name]?.state, `${p.name}: ${l.probes[p.name]?.reason ?? ''}`).toBe('running');
    };
    const until = async (pred: (l: Line) => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 6; i++) if (pred(await next())) return;
      throw new Error(`no line with ${what} within 6 intervals`);
    };

    await next();
    const before = await next();
    allRunning(before);
    expect(before.online_cpus).toEqual([0, 1]);
    expect(before.profile.cpus).toEqual([1]);

    setOnline(false);
    await until((l) => !l.online_cpus.includes(1), 'CPU 1 offline');
    for (let i = 0; i < 2; i++) {
      const l = await next(); // whole intervals with CPU 1 offline
      allRunning(l);
      expect(l.online_cpus).toEqual([0]);
      expect(Object.keys(l.counters.cpu).sort()).toEqual(['0', 'all']);
      expect(l.offcpu.filter((r) => r.cpu === 1)).toEqual([]);
      expect(l.profile.cpus).toEqual([]);
      expect(l.profile.samples).toBe(0);
      expect(l.isolation.cpu).toBe(1);
      expect(l.isolation.offline).toBe(true);
      expect(l.isolation.tasks).toEqual([]);
    }

    setOnline(true);
    // Something to sample on CPU 1 once it is back (a task's affinity to an offline CPU is broken).
    const busy = spawn('taskset', ['-c', '1', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    children.push(busy);
    await until((l) => l.online_cpus.includes(1), 'CPU 1 back');
    let samples = 0;
    let last: Line | null = null;
    for (let i = 0; i < 3; i++) {
      last = await next();
      allRunning(last);
      expect(last.profile.cpus).toEqual([1]);
      expect(last.isolation.offline).toBeUndefined();
      samples += last.profile.samples;
    }
    expect(samples, 'profile samples on CPU 1 after it came back').toBeGreaterThan(0);
    expect(Object.keys(last!.counters.cpu).sort()).toEqual(['0', '1', 'all']);
    expect(last!.isolation.tasks.length).toBeGreaterThan(0);
    ps.kill('SIGTERM');
    expect(run.err).toBe('');
  }, 60_000);
});
