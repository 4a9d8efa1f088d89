// Workloads for the offcpu probe tests: small python3 programs pinned with taskset, each naming
// itself with prctl(PR_SET_NAME) so that its rows can be recognised by comm.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const NAME = (comm: string) => `import ctypes; ctypes.CDLL(None).prctl(15, b'${comm}', 0, 0, 0)`;

function py(cpu: number | null, script: string, realtime = false, priority = 10): ChildProcess {
  const cmd = [...(cpu === null ? [] : ['taskset', '-c', String(cpu)]), PYTHON, '-c', script];
  if (realtime) cmd.unshift('chrt', '-f', String(priority));
  return spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * Sleeps `ms` in a loop on `cpu` (python's time.sleep is precise to ~0.1 ms), as a SCHED_FIFO
 * task like the latency-critical thread of an isolated core: its wake-up then preempts whatever
 * else runs on that CPU, so its time off the CPU is the sleep, not the sleep plus a wait for the
 * CPU behind other tests' load.
 */
export function sleeper(cpu: number, comm: string, ms = 20): ChildProcess {
  return py(cpu, `${NAME(comm)}\nimport time\nwhile True:\n    time.sleep(${ms / 1000})\n`, true);
}

/**
 * A sleeper's off-CPU row when every absence is one of its 20 ms sleeps: a busy host may stretch
 * one now and then (on this PREEMPT_NONE kernel a task inside the kernel delays even a SCHED_FIFO
 * wake-up: 27 ms seen under load) but never shortens it. So the longest is at least 19 ms and
 * the mean 19-25 ms: one stretched sleep moves the mean by a fraction of a millisecond, where it
 * would fail a bound on the longest.
 */
export function expectSleeps(r: { max_us: number; total_us: number; returns: number }, what: string): void {
  expect(r.max_us, `${what}: longest absence`).toBeGreaterThanOrEqual(19_000);
  expect(r.total_us / r.returns, `${what}: mean absence`).toBeGreaterThanOrEqual(19_000);
  expect(r.total_us / r.returns, `${what}: mean absence`).toBeLessThanOrEqual(25_000);
}

/** Spins forever on `cpu` (as a SCHED_FIFO 10 task when `realtime`). */
export function busy(cpu: number, comm: string, realtime = false): ChildProcess {
  return py(cpu, `${NAME(comm)}\nwhile True:\n    pass\n`, realtime);
}

/**
 * A SCHED_FIFO 50 task on `cpu` that sleeps `periodMs`, spins `burnMs`, and again: each wake-up
 * takes the CPU at once from any task of a lower class or priority running there.
 */
export function preemptor(cpu: number, comm: string, periodMs = 10, burnMs = 1): ChildProcess {
  const script = `${NAME(comm)}
import time
while True:
    time.sleep(${periodMs / 1000})
    end = time.monotonic() + ${burnMs / 1000}
    while time.monotonic() < end:
        pass
`;
  return py(cpu, script, true, 50);
}

/**
 * Two processes bouncing one byte through two pipes for `seconds`, on `cpu` (two context
 * switches per round trip), then both exit. Resolves the pids (parent, child) once started and
 * the round-trip count at exit.
 */
export function pingPong(cpu: number, seconds: number): { child: ChildProcess; pids: Promise<number[]>; done: Promise<number> } {
  const script = `
import os, sys, time
${NAME('ps_ping')}
r1, w1 = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    ${NAME('ps_pong')}
    while True:
        b = os.read(r1, 1)
        if not b or b == b'q':
            os._exit(0)
        os.write(w2, b)
print(os.getpid(), pid, flush=True)
n = 0
end = time.monotonic() + ${seconds}
while time.monotonic() < end:
    for _ in range(100):
        os.write(w1, b'x'); os.read(r2, 1)
    n += 100
os.write(w1, b'q')
os.waitpid(pid, 0)
print(n, flush=True)
`;
  const child = py(cpu, script);
  let out = '';
  let resolvePids!: (p: number[]) => void;
  const pids = new Promise<number[]>((r) => (resolvePids = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const first = out.split('\n')[0];
    if (out.includes('\n')) resolvePids(first.trim().split(/\s+/).map(Number));
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`ping-pong exited with ${code}`));
      const lines = out.trim().split('\n');
      resolve(Number(lines[lines.length - 1]));
    });
  });
  return { child, pids, done };
}

export function kill(children: ChildProcess[]): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
}
