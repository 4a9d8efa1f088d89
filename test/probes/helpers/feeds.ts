// Shared by the feed tests (exec, open, tcp, storm).
import type { ProbeConfig } from '../../../src/probes/types.js';
import { onlineCpus } from '../../../src/probes/cpus.js';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function feedConfig(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus(), ...over };
}

export function unique(prefix = 'perfscope'): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Poll `collect` until `done` says the collected events are enough (or time runs out). */
export async function waitFor<T>(collect: () => T[], done: (all: T[]) => boolean, ms = 5000): Promise<T[]> {
  const all: T[] = [];
  const end = Date.now() + ms;
  for (;;) {
    all.push(...collect());
    if (done(all) || Date.now() > end) return all;
    await sleep(25);
  }
}

export const PYTHON = '/usr/bin/python3';

/**
 * What a feed event of a child of this test says its cgroup is: the test's own (a child stays in
 * its parent's cgroup), as the kernel's id resolves it: {id, path, name}.
 */
export function ownCgroup(): unknown {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'))!;
  return expect.objectContaining({ id: expect.any(Number), path: line.slice(3) });
}

/**
 * Runs `attempt` (a workload plus the wait for its events) again, up to `tries` times in all,
 * but only when the probe counted kernel drops during a failed try. Feed tests without a pid
 * filter see the whole host: on a shared machine another process's open storm can fill the
 * ring buffer and push out the test's own event. Such a loss is counted (storm.test.ts checks
 * that exactly); a miss without any counted drop fails at once.
 */
export async function retryOnDrops<T>(drops: () => number, attempt: () => Promise<T>, ok: (r: T) => boolean, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    const before = drops();
    const r = await attempt();
    if (ok(r) || i >= tries || drops() === before) return r;
  }
}
