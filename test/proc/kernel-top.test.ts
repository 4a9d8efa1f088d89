// The top table from the scheduler (src/probes/proc/kernel-top.ts, bpf/top.bpf.h): real processes,
// the real scheduler object. Needs root and BPF (skipped otherwise, as the other BPF suites).
// The pidstat cross-check of the same table is in live.test.ts (it runs the probe as the manager
// does: from the scheduler when it can).
import { spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcProbe } from '../../src/probes/proc.js';
import type { ProbeConfig } from '../../src/probes/types.js';
import { bpfUnavailableReason } from '../../src/bpf/caps.js';
import { cgroup2Root } from '../../src/probes/cgroup/tree.js';

const reason = bpfUnavailableReason('/proc');
const cfg: ProbeConfig = { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: [] };
const children: number[] = [];
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** A real child that burns `ms` of CPU time (its own clock) and exits; resolves with its pid and the CPU time it used, in ms, as it measured it just before exit. */
function burner(ms: number, cgroupDir?: string): Promise<{ pid: number; usedMs: number }> {
  const join = cgroupDir ? `require('node:fs').writeFileSync(${JSON.stringify(`${cgroupDir}/cgroup.procs`)}, String(process.pid));\n` : '';
  const src = `${join}const t0 = process.cpuUsage(); while (true) { const u = process.cpuUsage(t0); if (u.user + u.system >= ${ms * 1000}) break; }
const all = process.cpuUsage(); process.stdout.write(String((all.user + all.system) / 1000));`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c.pid!);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve({ pid: c.pid!, usedMs: Number(out) }) : reject(new Error(`burner exit ${code}`))));
  });
}

describe.skipIf(reason !== null)('top table from the scheduler', () => {
  // A v2 cgroup of its own for the burner (the hierarchy's root: /sys/fs/cgroup/unified on a hybrid host).
  const cg2 = cgroup2Root();
  const cgName = `perfscope-test-top-${process.pid}`;
  const cgDir = cg2 ? `${cg2}/${cgName}` : undefined;
  beforeAll(() => {
    if (cgDir) mkdirSync(cgDir);
  });
  afterAll(() => {
    if (cgDir) rmdirSync(cgDir);
  });
  it('lists a process that ran 50 ms and exited within the interval (the /proc table cannot)', async () => {
    const kernel = new ProcProbe();
    const proc = new ProcProbe({ kernelTop: false });
    await kernel.startAsync(cfg);
    proc.start(cfg);
    try {
      expect(kernel.topSource, kernel.kernelTopError ?? '').toBe('sched');
      expect(proc.topSource).toBe('proc');
      const b = await burner(50, cgDir);
      const k = kernel.sample();
      const p = proc.sample();
      const row = k.top.find((r) => r.pid === b.pid);
      expect(row, `pid ${b.pid} in ${JSON.stringify(k.top)}`).toBeDefined();
      expect(row!.comm).toBe('node');
      // Its whole life: at least what it measured itself just before exit (the same kernel clock,
      // sum_exec_runtime), and not much more (its exit).
      const ms = row!.cpu_pct * 10 * k.interval_s;
      expect(ms).toBeGreaterThanOrEqual(b.usedMs * 0.95);
      expect(ms).toBeLessThanOrEqual(b.usedMs + 100);
      expect(row!.usr + row!.system).toBeCloseTo(row!.cpu_pct, 0);
      // Its cgroup as the kernel saw it at its switch-outs (its /proc/PID/cgroup is gone with it):
      // the one it moved itself into.
      expect(row!.cgroup?.path).toBe(`/${cgName}`);
      // pidstat's way reads the processes there at the end: it was gone.
      expect(p.top.find((r) => r.pid === b.pid)).toBeUndefined();
      expect(k.top_lost).toBeUndefined();
    } finally {
      kernel.stop();
      proc.stop();
    }
  });

  it('counts a busy loop that is never switched out while the interval ends (its run so far)', async () => {
    const kernel = new ProcProbe();
    await kernel.startAsync(cfg);
    const busy = spawn(process.execPath, ['-e', 'const e = Date.now() + 8000; while (Date.now() < e) {}'], { stdio: 'ignore' });
    children.push(busy.pid!);
    try {
      expect(kernel.topSource, kernel.kernelTopError ?? '').toBe('sched');
      // Three intervals: each lists it with a share of a CPU (it is runnable all the time).
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 700));
        const s = kernel.sample();
        const row = s.top.find((r) => r.pid === busy.pid);
        expect(row, `interval ${i}: ${JSON.stringify(s.top)}`).toBeDefined();
        expect(row!.cpu_pct).toBeGreaterThan(0);
        expect(row!.cpu_pct).toBeLessThanOrEqual(100 * 1.05);
      }
    } finally {
      busy.kill('SIGKILL');
      kernel.stop();
    }
  });

  it('--no-bpf (config.bpf false): the table from /proc, nothing loaded', () => {
    const p = new ProcProbe();
    p.start({ ...cfg, bpf: false });
    try {
      expect(p.topSource).toBe('proc');
      expect(p.cost()).toEqual({});
    } finally {
      p.stop();
    }
  });
});
