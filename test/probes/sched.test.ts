// The two scheduler probes share one object and one sched_switch program (bpf/sched.bpf.c,
// src/probes/sched.ts). With both on, switching either one off (and on again) must leave the
// other's numbers as they are alone: a 20 ms sleeper on CPU 0 still reads 19-25 ms off-CPU, and
// two busy loops sharing CPU 1 still fill the millisecond buckets of CPU 1's run-queue
// histogram. Only what the scheduler guarantees on a busy host too: the sleeper runs SCHED_FIFO,
// so it is away at least its 20 ms each time and gets its CPU back as soon as it wakes (no
// other task's slice in its off-CPU time), and each loop waits for the other's slice
// (milliseconds) whenever it is preempted.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { OffcpuProbe } from '../../src/probes/offcpu.js';
import type { OffcpuSample } from '../../src/probes/offcpu-spec.js';
import { RunqlatProbe } from '../../src/probes/runqlat.js';
import type { RunqlatSample } from '../../src/probes/runqlat-spec.js';
import { onlineCpus } from '../../src/probes/cpus.js';
import type { ProbeConfig } from '../../src/probes/types.js';
import { heldProgramIds, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { busy, expectSleeps, kill, sleeper } from './helpers/offcpu-workloads.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(): ProbeConfig {
  return { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus() };
}

/** The sleeper's row on CPU 0 holds only its 20 ms sleeps (expectSleeps). */
function expectSleeper(s: OffcpuSample, pid: number, what: string): void {
  const r = s.rows.find((x) => x.pid === pid && x.cpu === 0);
  expect(r, `${what}: sleeper row on CPU 0`).toBeDefined();
  expect(r!.comm).toBe('ps_sched_sl');
  expectSleeps(r!, what);
  expect(r!.returns, what).toBeGreaterThanOrEqual(20);
  expect(s.overflow).toBe(0);
}

/**
 * The two busy loops on CPU 1 wait, between them, at least the window's time there: both are
 * runnable all along and CPU 1 gives them at most the window between them, whatever else runs
 * (other tasks only add waits). A wait still going on at the sample is not counted yet (one per
 * loop, a slice or so): half the window is a safe floor of the histogram's upper bound of the
 * total (a wait in bucket b lies in [2^b, 2^(b+1)) us).
 */
function expectLoops(s: RunqlatSample, windowUs: number, what: string): void {
  const h = s.cpus['1'];
  const upperUs = h.reduce((a, n, b) => a + n * 2 ** (b + 1), 0);
  expect(upperUs, `${what}: waits on CPU 1 ${JSON.stringify(h)} in ${Math.round(windowUs)} us`).toBeGreaterThan(0.5 * windowUs);
  expect(s.count).toBe(s.all.reduce((a, b) => a + b, 0));
}

describe.skipIf(noBpf)('offcpu and runqlat together (one shared program)', () => {
  const children: ChildProcess[] = [];
  let off: OffcpuProbe | null = null;
  let rq: RunqlatProbe | null = null;
  afterEach(async () => {
    kill(children);
    const ids = [...(off?.progIds() ?? []), ...(rq?.progIds() ?? [])];
    off?.stop();
    rq?.stop();
    off = rq = null;
    expect(heldProgramIds()).toEqual([]);
    expect(await waitUnloaded(ids)).toEqual([]);
  });

  it('switching one off and on again leaves the other one right', async () => {
    expect(onlineCpus()).toEqual(expect.arrayContaining([0, 1]));
    off = new OffcpuProbe({ topPerCpu: Infinity });
    rq = new RunqlatProbe();
    off.start(config());
    rq.start(config());
    const ids = off.progIds();
    expect(ids.length).toBe(1);
    expect(rq.progIds()).toEqual(ids); // one program serves both
    const s = sleeper(0, 'ps_sched_sl');
    children.push(s, busy(1, 'ps_sched_a'), busy(1, 'ps_sched_b'));
    execFileSync('chrt', ['-f', '-p', '10', String(s.pid)]);
    // The run-queue window: from the last sample (or start) of runqlat to its next sample.
    let rqSince = 0;
    const loops = (what: string) => {
      const sample = rq!.sample();
      const now = performance.now();
      expectLoops(sample, (now - rqSince) * 1000, what);
      rqSince = now;
    };
    await sleep(1200);
    off.sample();
    rq.sample();
    rqSince = performance.now();

    await sleep(1000);
    expectSleeper(off.sample(), s.pid!, 'both on');
    loops('both on');

    // runqlat off: offcpu goes on, on the same program (nothing reloaded).
    rq.stop();
    expect(rq.progIds()).toEqual([]);
    expect(off.progIds()).toEqual(ids);
    expect(heldProgramIds()).toEqual(ids);
    await sleep(1000);
    expectSleeper(off.sample(), s.pid!, 'runqlat off');
    expect(off.cost().run_cnt).toBeGreaterThan(0);

    // runqlat on again: it counts from now, right away.
    rq.start(config());
    rqSince = performance.now();
    expect(rq.progIds()).toEqual(ids);
    await sleep(1500);
    loops('runqlat on again');
    expectSleeper(off.sample(), s.pid!, 'runqlat on again');

    // offcpu off: runqlat goes on.
    off.stop();
    expect(off.sample()).toEqual({ rows: [], idle: [], overflow: 0 });
    expect(rq.progIds()).toEqual(ids);
    await sleep(1500);
    loops('offcpu off');
    expect(rq.cost().run_cnt).toBeGreaterThan(0);

    // offcpu on again: stamps from its earlier on-period are ignored, the sleeper reads right.
    off.start(config());
    expect(off.progIds()).toEqual(ids);
    await sleep(1000);
    expectSleeper(off.sample(), s.pid!, 'offcpu on again');
    loops('offcpu on again');
  });
});
