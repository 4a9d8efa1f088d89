// Two perfscopes side by side, each with every probe on, while `bpftool prog show` runs in a
// loop: both measure a 20 ms sleeper right, either can exit first, and the one left keeps its
// programs, its run statistics (ns per event) and its tracepoints (tracefs stays mounted).
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { heldProgramIds, noBpf, stillLoaded, waitUnloaded } from '../helpers/bpf.js';
import { expectSleeps, sleeper } from '../probes/helpers/offcpu-workloads.js';
import { JsonRun } from '../helpers/perfscope.js';

const ALL = CATALOGUE.map((p) => p.name).join(',');

interface Line {
  offcpu: { comm: string; max_us: number; total_us: number; returns: number; cpu: number }[];
  probes: Record<string, { state: string; ns_per_event?: number | null; run_cnt?: number }>;
}

/** perfscope with every probe, its rows limited to the sleeper's (-c). */
const instance = () => new JsonRun<Line>(['--probes', ALL, '--trace', 'sched:sched_switch', '-c', 'ps_two']);

/** Every probe running; the sleeper's absences its 20 ms sleeps (expectSleeps); run statistics on. */
function expectRight(l: Line, who: string): void {
  for (const p of CATALOGUE) expect(l.probes[p.name]?.state, `${who}: ${p.name}`).toBe('running');
  const row = l.offcpu.find((r) => r.comm === 'ps_two20');
  expect(row, `${who}: the sleeper's row`).toBeDefined();
  expectSleeps(row!, who);
  expect(l.probes.offcpu.ns_per_event, `${who}: run statistics`).toBeGreaterThan(0);
}

describe.skipIf(noBpf)('two perfscopes side by side (real BPF)', () => {
  const children: ChildProcess[] = [];
  let looping = false;
  afterEach(() => {
    looping = false;
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  /** `bpftool prog show` over and over, as another tool on the host would. */
  function bpftoolLoop(): void {
    looping = true;
    const once = () => {
      if (!looping) return;
      execFile('bpftool', ['prog', 'show'], { maxBuffer: 64 << 20 }, () => setTimeout(once, 20));
    };
    once();
  }

  for (const first of [0, 1]) {
    it(`both right; ${first === 0 ? 'the first' : 'the second'} started exits first, the other goes on untouched`, async () => {
      // SCHED_FIFO: its absence is its sleep, not a wait behind other load (see offcpu.test.ts).
      const s = sleeper(1, 'ps_two20');
      children.push(s);
      bpftoolLoop();
      const a = instance();
      const b = instance();
      children.push(a.child, b.child);
      // The first line of each may start before the sleeper's first return: check from the third.
      for (const x of [a, b]) {
        await x.next();
        await x.next();
      }
      for (let i = 0; i < 2; i++) {
        expectRight(await a.next(), 'A');
        expectRight(await b.next(), 'B');
      }
      const [gone, stays] = first === 0 ? [a, b] : [b, a];
      const goneIds = heldProgramIds(gone.pid);
      const staysIds = heldProgramIds(stays.pid);
      expect(goneIds.length).toBeGreaterThan(0);
      gone.child.kill('SIGTERM');
      expect(await gone.exited).toBe(143); // 128 + SIGTERM, after its clean-up, as the CLI documents
      expect(gone.err).toBe('');
      expect(await waitUnloaded(goneIds)).toEqual([]);
      // The other one: its programs, its tracepoints, its statistics, its numbers.
      await stays.next(); // the interval the other one's exit fell in
      for (let i = 0; i < 2; i++) expectRight(await stays.next(), 'the one left');
      expect(stillLoaded(staysIds)).toEqual(staysIds);
      expect(existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events')).toBe(true);
      stays.child.kill('SIGTERM');
      expect(await stays.exited).toBe(143);
      expect(stays.err).toBe('');
      expect(await waitUnloaded(staysIds)).toEqual([]);
    }, 60_000);
  }
});
