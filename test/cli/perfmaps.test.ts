// Eight busy processes, each with a 60 MiB JIT perf map (/tmp/perf-PID.map): with the profile
// on, `perfscope --json --probes profile,proc --count 8` still writes its 8 lines, and its peak
// RSS stays bounded: the maps are read by the parser process (not on the screen's thread), cut
// to the per-process and total bounds (docs/stacks.md), and re-read at most once a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonRun } from '../helpers/perfscope.js';

const N = 8;
const MAP_BYTES = 60 << 20;
const busy: ChildProcess[] = [];
const maps: string[] = [];
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'perfscope-perfmaps-'));
  // One 60 MiB map ("START SIZE name" lines), hard-linked under each process's name.
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < MAP_BYTES; i++) {
    const l = `${(0x7f0000000000 + i * 0x40).toString(16)} 40 jit_function_number_${i}\n`;
    lines.push(l);
    size += l.length;
  }
  const master = path.join(dir, 'perf.map');
  writeFileSync(master, lines.join(''));
  for (let i = 0; i < N; i++) {
    const c = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    busy.push(c);
    const m = `/tmp/perf-${c.pid}.map`;
    linkSync(master, m);
    maps.push(m);
  }
});

afterAll(() => {
  for (const c of busy) c.kill('SIGKILL');
  for (const m of maps) rmSync(m, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function hwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Whether PID has a child perfscope-parser (the maps went to it). */
function hasParser(pid: number): boolean {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/status`, 'utf8');
      if (/^Name:\s+perfscope-parse$/m.test(st) && new RegExp(`^PPid:\\s+${pid}$`, 'm').test(st)) return true;
    } catch {
      // gone
    }
  }
  return false;
}

describe('8 large perf maps with the profile on', () => {
  it('perfscope --json --probes profile,proc --count 8 writes all 8 lines; its peak RSS stays bounded', async () => {
    const run = new JsonRun(['--probes', 'profile,proc', '--count', '8']);
    let peak = 0;
    let parser = false;
    const poll = setInterval(() => {
      peak = Math.max(peak, hwmKiB(run.pid));
      parser ||= hasParser(run.pid);
    }, 200);
    try {
      const lines = [];
      for (let i = 0; i < 8; i++) lines.push(await run.next());
      peak = Math.max(peak, hwmKiB(run.pid));
      expect(lines).toHaveLength(8);
      for (const l of lines) expect(Object.keys(l.probes as object)).toEqual(expect.arrayContaining(['profile', 'proc']));
      expect(await run.exited).toBe(0);
    } finally {
      clearInterval(poll);
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    // A generous bound on a leak: without the bounds the maps alone held ~1 GB.
    expect(peak).toBeGreaterThan(0);
    expect(parser).toBe(true);
    expect(peak).toBeLessThan(400 * 1024);
    console.log(`perfmaps: peak RSS ${Math.round(peak / 1024)} MiB`);
  }, 180_000);
});
