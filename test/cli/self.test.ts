// perfscope leaves its own process out of what it shows (its /proc reads in the open feed, its
// threads' sleeps in the off-CPU rows, its CPU in the top table), so the screen shows the host,
// not the tool; --include-self keeps it. The real binary, real probes, its real pid.
// perfscope runs from a symlink to node named `psself`, so its task names are `psself` and
// `-c psself` keeps only its own tasks: with --include-self they are there, by default there is
// nothing (the same run settings, so the first case cannot pass by a row cut for room).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { noBpf } from '../helpers/bpf.js';
import { JsonRun } from '../helpers/perfscope.js';

let dir = '';
let node = '';

interface Line {
  open: { pid: number; path: string }[];
  offcpu: { tgid: number }[];
  counters: { top: { pid: number }[] };
  profile: { stacks: { tgid: number }[] };
  probes: Record<string, { state: string }>;
}

/** Runs perfscope --json for three 0.5 s intervals; its pid and its lines. */
async function run(extra: string[]): Promise<{ pid: number; lines: Line[] }> {
  const r = new JsonRun<Line>(['--count', '3', '--interval', '0.5', '--probes', 'open,offcpu,proc,profile', '-c', 'psself', ...extra], node);
  const lines = [await r.next(), await r.next(), await r.next()];
  await expect(r.next()).rejects.toThrow(/perfscope ended/); // exactly three lines
  expect(await r.exited).toBe(0);
  expect(r.err).toBe('');
  for (const l of lines) for (const p of ['open', 'offcpu', 'proc', 'profile']) expect(l.probes[p]?.state).toBe('running');
  return { pid: r.pid, lines };
}

describe.skipIf(noBpf)('perfscope leaves itself out (real BPF)', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-self-'));
    node = path.join(dir, 'psself');
    symlinkSync(process.execPath, node);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('by default: no open event, off-CPU row, top row or profile stack of its own', async () => {
    const { pid, lines } = await run([]);
    for (const l of lines) {
      expect(l.open).toEqual([]);
      expect(l.offcpu).toEqual([]);
      expect(l.counters.top.filter((r) => r.pid === pid)).toEqual([]);
      expect(l.profile.stacks).toEqual([]);
    }
  });

  it('--include-self: its own /proc reads are in the open feed and its threads in the off-CPU rows', async () => {
    const { pid, lines } = await run(['--include-self']);
    // The proc probe opens /proc/stat each interval (a fresh open: the file is read whole), and
    // the main thread sleeps between ticks: it returns from an off-CPU wait every interval.
    for (const l of lines.slice(1)) {
      expect(l.open.some((e) => e.pid === pid && e.path === '/proc/stat')).toBe(true);
      expect(l.offcpu.some((r) => r.tgid === pid)).toBe(true);
    }
  });
});
