// An open storm against the open feed: every open syscall of the storming process is either
// received or counted as lost (kernel ring buffer drops + user-side overflow), exactly.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OpenProbe } from '../../src/probes/open.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { feedConfig, sleep } from './helpers/feeds.js';

const STORM_C = fileURLToPath(new URL('./helpers/storm.c', import.meta.url));
const OPENS = 200_000;

describe.skipIf(noBpf)('open storm (real BPF)', () => {
  let dir = '';
  let bin = '';
  let probe: OpenProbe | null = null;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-storm-'));
    bin = path.join(dir, 'storm');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, STORM_C]);
    writeFileSync(path.join(dir, 'target'), 'x');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('a busy feed wakes its reader by itself (no sample() needed)', async () => {
    const n = 5_000; // 5,000 x 320 bytes: far more than the kernel's wake-up threshold (64 KiB)
    const child = spawn(bin, [String(n), path.join(dir, 'target')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe('ready');
      probe = new OpenProbe();
      probe.start(feedConfig({ pid: child.pid! }));
      child.stdin!.write('go\n');
      expect(await exited).toBe(0);
      // Only the ring buffer's own wake-ups deliver here: nobody calls sample(), drain() or consume().
      const p = probe;
      const end = Date.now() + 10_000;
      while (p.totals.received + p.kernelDropsSinceStart() < n - 205 && Date.now() < end) await sleep(25);
      expect(p.totals.received + p.kernelDropsSinceStart()).toBeGreaterThanOrEqual(n - 205); // at most 64 KiB left waiting
      expect(p.totals.received).toBeGreaterThan(0);
      // and sample() takes the rest: all of them, exactly
      const got = p.sample().length;
      expect(got + p.cost().lost!).toBe(n);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  // The third case keeps few events per sample() so that user-side overflow is counted too.
  for (const [label, target, intervalMax] of [
    ['successful', 'target', undefined],
    ['failing (ENOENT)', 'missing', undefined],
    ['successful, interval list of 500', 'target', 500],
  ] as const) {
    it(`received + lost = ${OPENS} ${label} opens of one process, exactly`, async () => {
      const child = spawn(bin, [String(OPENS), path.join(dir, target)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      try {
        expect((await lines.next()).value).toBe('ready');
        probe = new OpenProbe({ intervalMax });
        probe.start(feedConfig({ pid: child.pid! })); // kernel filter: drops are this process's only
        let received = 0;
        let other = 0;
        let lost = 0;
        let errors = 0;
        const tick = () => {
          for (const e of probe!.sample()) {
            if (e.pid === child.pid && e.path === path.join(dir, target)) {
              received++;
              if (e.errno !== null) errors++;
            } else other++;
          }
          lost += probe!.cost().lost ?? 0;
        };
        child.stdin!.write('go\n');
        let done = false;
        void exited.then(() => (done = true));
        while (!done) {
          tick();
          await sleep(20);
        }
        expect(await exited).toBe(0);
        expect((await lines.next()).value).toBe(`done ${OPENS} ${target === 'missing' ? OPENS : 0}`);
        // The child is gone: whatever it queued is in the ring buffer now.
        await sleep(100);
        tick();
        const drops = probe.kernelDropsSinceStart();
        console.log(`storm (${label}): ${received} received, ${lost} lost (${drops} kernel drops, ${probe.totals.overflow} overflow)`);
        expect(other).toBe(0);
        expect(received + lost).toBe(OPENS);
        expect(lost).toBe(drops + probe.totals.overflow);
        expect(errors).toBe(target === 'missing' ? received : 0);
        expect(received).toBeGreaterThan(0);
        if (intervalMax !== undefined) expect(probe.totals.overflow).toBeGreaterThan(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
