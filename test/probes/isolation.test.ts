// The isolation probe against the real kernel, on CPU 1, with workloads whose outcome the
// scheduler guarantees (test/probes/helpers/isowork.c):
// - a resident on CPU 1 (SCHED_FIFO 10) that polls 7 ms of every 8 and sleeps the last one (on
//   an absolute timer), and an intruder (SCHED_FIFO 50) woken there every 250 ms by an absolute
//   timer that burns 50 ms each time. The resident leaves the other tasks more than the fair
//   server's 5 %, so no 50 ms fair-server slice; a task of a lower class holds CPU 1 for the
//   resident's 1 ms sleep, or, on a kernel without full preemption (this one: PREEMPT_NONE),
//   until it leaves the kernel section it is in when the resident wakes: up to 17 ms seen under
//   a busy machine's load, never near 50. So: the resident has the most on-CPU time (~70 %); the
//   intruder runs 4 times a second (3-5 allows a boundary and a split run) and displaces the
//   resident (its wake-ups fall in the resident's sleep at most one time in four: 250 ms is 2 ms
//   past a multiple of 8); every intruder run keeps the resident off >= 50 ms, longer than any
//   other task holds the CPU, so its longest absence holds an intruder run and names it;
// - a thread spinning on CPU 1 (SCHED_FIFO) while the main thread calls
//   membarrier(PRIVATE_EXPEDITED) on CPU 0: one function-call IPI to CPU 1 per call while it
//   spins there (at least half of the calls: the spinner holds CPU 1 but for the fair server's 5 %);
// - a UDP socket whose receive buffer holds a few datagrams and is never read, flooded on
//   loopback: RcvbufErrors rise by at least half the datagrams in the interval.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { IsolationProbe } from '../../src/probes/isolation.js';
import type { IsolationSample } from '../../src/probes/isolation-spec.js';
import { onlineCpus } from '../../src/probes/cpus.js';
import type { ProbeConfig } from '../../src/probes/types.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';

const WORK_C = fileURLToPath(new URL('./helpers/isowork.c', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { pinnedCpu: 1, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus(), ...over };
}

/** Start the program; resolves with its first line of output, split. */
function run(bin: string, args: string[], children: ChildProcess[]): { child: ChildProcess; line: Promise<string[]>; exited: Promise<number | null> } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const line = lines.next().then((l) => String(l.value ?? '').split(' '));
  return { child, line, exited };
}

/** A sample and the seconds since the previous one. */
async function timed(probe: IsolationProbe, ms: number): Promise<{ s: IsolationSample; secs: number }> {
  const t0 = performance.now();
  await sleep(ms);
  const s = probe.sample();
  return { s, secs: (performance.now() - t0) / 1000 };
}

describe.skipIf(noBpf || !onlineCpus().includes(1))('isolation probe (real BPF, CPU 1)', () => {
  let dir = '';
  let bin = '';
  let probe: IsolationProbe | null = null;
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-iso-'));
    bin = path.join(dir, 'isowork');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', bin, WORK_C]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('the resident, an intruder 4 times a second that displaces it, and its longest absence names the intruder', async () => {
    const w = run(bin, ['intrude', '1', '250', '50'], children);
    const [ready, res, intr] = await w.line;
    expect(ready).toBe('ready');
    const resident = Number(res);
    const intruder = Number(intr);
    probe = new IsolationProbe();
    await probe.startAsync(config());
    expect(probe.watchedCpu).toBe(1);
    // The first interval names the resident; the kernel measures its absences from the next one.
    await timed(probe, 1000);
    const got = [await timed(probe, 1000), await timed(probe, 1000)];
    let runs = 0;
    let secs = 0;
    for (const { s } of got) {
      const dt = s.span_s;
      expect(dt).toBeGreaterThan(0.9);
      expect(s.cpu).toBe(1);
      expect(s.source).toBe('pinned');
      const top = s.tasks[0];
      expect(top, 'resident row').toBeDefined();
      expect(top.pid, `resident: ${JSON.stringify(s.tasks.slice(0, 4))}`).toBe(resident);
      expect(top.kind).toBe('resident');
      expect(top.comm).toBe('iso_resident');
      const i = s.tasks.find((t) => t.pid === intruder);
      expect(i, 'intruder row').toBeDefined();
      expect(i!.comm).toBe('iso_intruder');
      expect(i!.kind).toBe('task');
      expect(i!.displaced, 'whom the intruder displaced').toEqual({ pid: resident, comm: 'iso_resident' });
      expect(i!.max_run_us).toBeGreaterThanOrEqual(49_000);
      // Its time is 50 ms per run, give or take the run cut by the boundary.
      expect(i!.on_us).toBeGreaterThanOrEqual(49_000 * (i!.runs - 1));
      expect(s.resident_off, "the resident's absences").not.toBeNull();
      expect(s.resident_off!.by_pid, `longest absence: ${JSON.stringify(s.resident_off)}`).toBe(intruder);
      expect(s.resident_off!.by_comm).toBe('iso_intruder');
      expect(s.resident_off!.max_us).toBeGreaterThanOrEqual(49_000);
      expect(s.resident_off!.count).toBeGreaterThanOrEqual(i!.runs - 1);
      // The CPU's time adds up to the interval (the resident, the intruders, idle), within 5 %.
      const sum = s.tasks.reduce((a, t) => a + t.on_us, 0) + s.other_us + s.idle_us;
      expect(sum / 1e6 / dt).toBeGreaterThan(0.95);
      expect(sum / 1e6 / dt).toBeLessThan(1.05);
      expect(s.overflow).toBe(0);
      runs += i!.runs;
      secs += dt;
    }
    expect(runs / secs, `${runs} intruder runs in ${secs.toFixed(2)} s`).toBeGreaterThanOrEqual(3);
    expect(runs / secs).toBeLessThanOrEqual(5);
  });

  it("a burst of membarrier IPIs shows in CPU 1's function-call interrupts of that interval", async () => {
    probe = new IsolationProbe();
    await probe.startAsync(config());
    probe.sample();
    const w = run(bin, ['ipi', '0', '1', '300'], children);
    const [word, n] = await w.line;
    expect(word).toBe('calls');
    expect(await w.exited).toBe(0);
    const s = probe.sample();
    const calls = Number(n);
    expect(calls).toBeGreaterThan(1000);
    const cal = s.irqs.find((r) => r.name === 'CAL');
    expect(cal, JSON.stringify(s.irqs)).toBeDefined();
    expect(cal!.count, `CAL ${cal!.count} for ${calls} calls`).toBeGreaterThanOrEqual(calls / 2);
    expect(cal!.desc).toBe('Function call interrupts');
    // The spinner ran there and is listed.
    expect(s.tasks.some((t) => t.comm === 'iso_spinner')).toBe(true);
  });

  it('a UDP socket that is never read, flooded on loopback: RcvbufErrors rise in that interval', async () => {
    probe = new IsolationProbe();
    await probe.startAsync(config());
    probe.sample();
    const w = run(bin, ['udp', '2000'], children);
    const [word, n] = await w.line;
    expect(word).toBe('sent');
    expect(await w.exited).toBe(0);
    const s = probe.sample();
    expect(Number(n)).toBe(2000);
    expect(s.net.udp_rcvbuf_errors, JSON.stringify(s.net)).toBeGreaterThanOrEqual(1000);
    expect(s.net.udp_in_errors).toBeGreaterThanOrEqual(s.net.udp_rcvbuf_errors);
  });

  it('unpinned on a host without isolated CPUs it watches none; pinned live it follows', async () => {
    probe = new IsolationProbe();
    await probe.startAsync(config({ pinnedCpu: null, sysRoot: fileURLToPath(new URL('../proc/fixtures/iso/none/sys', import.meta.url)) }));
    expect(probe.watchedCpu).toBeNull();
    const a = probe.sample();
    expect(a.cpu).toBeNull();
    expect(a.tasks).toEqual([]);
    probe.setPinnedCpu(0);
    // A program that can run on CPU 0 only, run to its end: it was switched in there after the
    // pin (a CPU busy with one hog may switch no task at all for a while: the scheduler does not
    // promise a switch in any window, only that a runnable task pinned there runs).
    execFileSync('taskset', ['-c', '0', 'true']);
    const b = probe.sample();
    expect(b.cpu).toBe(0);
    expect(b.tasks.length).toBeGreaterThan(0);
  });

  it('unpinned, the first isolated CPU (a fixture tree says CPU 1 is isolated)', async () => {
    probe = new IsolationProbe();
    await probe.startAsync(config({ pinnedCpu: null, sysRoot: fileURLToPath(new URL('../proc/fixtures/iso/hybrid/sys', import.meta.url)) }));
    expect(probe.watchedCpu).toBe(1);
    await sleep(200);
    const s = probe.sample();
    expect(s.source).toBe('isolated');
    expect(s.isolated.cpus).toEqual([1]);
  });
});
