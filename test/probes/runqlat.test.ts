import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunqlatProbe } from '../../src/probes/runqlat.js';
import { heldProgramIds, noBpf, stopAndExpectUnloaded, stillLoaded, waitUnloaded } from '../helpers/bpf.js';
import { onlineCpus } from '../../src/probes/cpus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORK_C = fileURLToPath(new URL('./helpers/tracework.c', import.meta.url));

function busyLoop(cpu: number): ChildProcess {
  return spawn('taskset', ['-c', String(cpu), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
}

describe.skipIf(noBpf)('runqlat probe (real BPF)', () => {
  const children: ChildProcess[] = [];
  let probe: RunqlatProbe | null = null;
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it("counts the waits of two busy loops sharing CPU 1 on CPU 1: at least the window's time", async () => {
    const cpus = onlineCpus();
    expect(cpus).toContain(1);
    probe = new RunqlatProbe();
    probe.start({ pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus });
    probe.sample();
    const t0 = performance.now();
    children.push(busyLoop(1), busyLoop(1));
    await sleep(2500);
    const s = probe.sample();
    const windowUs = (performance.now() - t0) * 1000;
    // What the scheduler guarantees, whatever else runs: two loops that never sleep, allowed
    // only on CPU 1, are both runnable for the whole window and get at most the window's CPU
    // time between them, so their run-queue waits add up to at least one window (other tasks on
    // CPU 1 only add waits). Only a wait still going on at the sample is not counted yet (one
    // per loop, a slice or so): half the window is a safe floor. A wait in log2 bucket b lies
    // in [2^b, 2^(b+1)) us: the histogram's upper bound of the total must reach it on CPU 1.
    const upperUs = (h: readonly number[]) => h.reduce((a, n, b) => a + n * 2 ** (b + 1), 0);
    expect(upperUs(s.cpus['1']), `CPU 1 ${JSON.stringify(s.cpus['1'])} in ${Math.round(windowUs)} us`).toBeGreaterThan(0.5 * windowUs);
    // and the all-CPUs histogram is the sum of the per-CPU ones
    for (let b = 0; b < s.all.length; b++) expect(s.all[b]).toBe(Object.values(s.cpus).reduce((a, h) => a + (h[b] ?? 0), 0));
    expect(s.count).toBe(s.all.reduce((a, b) => a + b, 0));
    expect(s.p99_us!).toBeGreaterThanOrEqual(s.p50_us!);
    const cost = probe.cost();
    expect(cost.run_cnt).toBeGreaterThan(0);
  });

  it('counts the first wait of short-lived tasks: 500 forks that exit at once, pinned to CPU 1 with their parent, give at least 1,000 waits there', async () => {
    // On the one CPU they may use, the parent and each child take turns: each child waits once
    // (from its creation to its only run) and the parent at least once per child (woken when it
    // exits, or preempted by it): at least two waits per fork, whatever else runs. A child's one
    // wait is counted at its only switch-out, its death: a probe that only took a baseline
    // there would count about half.
    const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-rq-'));
    try {
      const bin = path.join(dir, 'forker');
      execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, WORK_C]);
      probe = new RunqlatProbe();
      probe.start({ pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus() });
      probe.sample();
      const c = spawn('taskset', ['-c', '1', bin, 'fork', '500'], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(c);
      const exited = new Promise((r) => c.on('exit', r));
      c.stdin!.write('go\n');
      expect(await exited).toBe(0);
      await sleep(50);
      const cpu1 = probe.sample().cpus['1'];
      expect(cpu1.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detaches on stop: no program of this process is left loaded', async () => {
    probe = new RunqlatProbe();
    probe.start({ pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus() });
    const ids = probe.progIds();
    expect(ids.length).toBe(1); // the scheduler object's one sched_switch program
    expect(heldProgramIds()).toEqual(ids);
    expect(stillLoaded(ids)).toEqual(ids);
    probe.stop();
    probe.stop();
    expect(heldProgramIds()).toEqual([]);
    expect(await waitUnloaded(ids)).toEqual([]);
    expect(heldProgramIds()).toEqual([]);
  });
});
