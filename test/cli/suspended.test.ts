// A suspended consumer: perfscope --json is stopped (SIGSTOP) for 10 s while one process opens a
// file 3,000,000 times, then continued (SIGCONT). The kernel's ring buffer fills while nobody
// reads it; every open is still either an event of the output or counted lost, exactly, and
// within two intervals of the SIGCONT the lines are current again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { noBpf } from '../helpers/bpf.js';
import { JsonRun } from '../helpers/perfscope.js';

const STORM_C = fileURLToPath(new URL('../probes/helpers/storm.c', import.meta.url));
const OPENS = 3_000_000; // more than any ring buffer perfscope sizes holds
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Line {
  time: string;
  interval_s: number;
  open: { pid: number; path: string }[];
  probes: { open: { state: string; lost?: number } };
}

describe.skipIf(noBpf)('a suspended perfscope under an open storm (real BPF)', () => {
  let dir = '';
  let bin = '';
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-stop-'));
    bin = path.join(dir, 'storm');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, STORM_C]);
    writeFileSync(path.join(dir, 'target'), 'x');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null) {
        c.kill('SIGCONT');
        c.kill('SIGKILL');
      }
    }
  });

  it('SIGSTOP for 10 s, SIGCONT: received + lost = the opens, exactly; current again within two intervals', async () => {
    const target = path.join(dir, 'target');
    const storm = spawn(bin, [String(OPENS), target], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(storm);
    const stormOut = createInterface({ input: storm.stdout! })[Symbol.asyncIterator]();
    expect((await stormOut.next()).value).toBe('ready');
    const run = new JsonRun<Line>(['--probes', 'open', '-p', String(storm.pid)]);
    const ps = run.child;
    children.push(ps);
    const next = () => run.next();
    let received = 0;
    let lost = 0;
    const count = (l: Line) => {
      expect(l.probes.open.state).toBe('running');
      received += l.open.filter((e) => e.pid === storm.pid && e.path === target).length;
      lost += l.probes.open.lost ?? 0;
    };
    count(await next()); // attached: the -p filter is in the kernel

    ps.kill('SIGSTOP');
    storm.stdin!.write('go\n');
    expect((await stormOut.next()).value).toBe(`done ${OPENS} 0`); // all of it while perfscope is stopped
    await sleep(10_000);
    ps.kill('SIGCONT');
    const cont = Date.now();

    // Within two intervals: a line stamped after the SIGCONT.
    let current = false;
    for (let i = 0; i < 2 && !current; i++) {
      const l = await next();
      count(l);
      current = Date.parse(l.time) >= cont;
    }
    expect(current, 'a line of an interval ending after SIGCONT within two lines').toBe(true);
    // Then everything queued is out: one more interval drains what is left in the ring buffer.
    count(await next());
    count(await next());
    console.log(`suspended: ${received} received, ${lost} lost of ${OPENS}`);
    expect(lost).toBeGreaterThan(0); // the ring buffer was full: this run did test the drops
    expect(received + lost).toBe(OPENS);
    ps.kill('SIGTERM');
    expect(run.err).toBe('');
  }, 60_000);
});
