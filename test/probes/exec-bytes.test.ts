// A feed's interval is bounded in bytes as well as in events (real BPF, the real exec probe, a
// real flooding process: execve("/nonexistent/x") with 20 arguments of 127 bytes 0xff, ~14 KB of
// --json each): the events kept hold at most intervalMaxBytes of --json text, the native queue at
// most queueMaxBytes of raw records, and every event that passed the filter is kept or counted as
// overflow (in cost().lost), exactly.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExecProbe } from '../../src/probes/exec.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { feedConfig } from './helpers/feeds.js';

const FLOOD_C = fileURLToPath(new URL('../sinks/helpers/execflood.c', import.meta.url));

describe.skipIf(noBpf)('exec feed: bytes per interval (real BPF)', () => {
  let dir = '';
  let flood = '';
  let probe: ExecProbe | null = null;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'perfscope-execbytes-'));
    flood = join(dir, 'execflood');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', flood, FLOOD_C]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  /** Run the flood for `s` seconds; resolves with the execve calls it made. */
  const run = (s: number) =>
    new Promise<number>((resolve) => {
      const c = spawn(flood, [String(s)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve(Number(out.trim())));
    });

  for (const [what, limits] of [
    ['--json text (intervalMaxBytes)', { intervalMaxBytes: 200_000 }],
    ['raw records in the native queue (queueMaxBytes)', { queueMaxBytes: 64 * 1024 }],
  ] as const) {
    it(`keeps at most its ${what}; the rest is counted as lost`, async () => {
      probe = new ExecProbe(limits);
      probe.start(feedConfig({ comm: 'execflood' }));
      const made = await run(0.3);
      expect(made).toBeGreaterThan(100);
      const kept = probe.sample();
      const lost = probe.cost().lost ?? 0;
      const { received, overflow } = probe.totals;
      expect(kept.length).toBeGreaterThan(0);
      // The flood's own start (its comm from then on) and its failed execve calls.
      for (const e of kept) expect([flood, '/nonexistent/x']).toContain(e.filename);
      if ('intervalMaxBytes' in limits) {
        expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(limits.intervalMaxBytes + 2);
        expect(kept.length).toBeLessThan(made);
      } else {
        // A record in the queue is an 8-byte header, 304 bytes and 128 per captured argument.
        const bytes = kept.reduce((n, e) => n + 8 + 304 + 128 * e.argv.length, 0);
        expect(bytes).toBeLessThanOrEqual(limits.queueMaxBytes);
        expect(bytes).toBeGreaterThan(limits.queueMaxBytes - (8 + 304 + 20 * 128));
      }
      // Every record that passed the comm filter was kept or counted.
      expect(kept.length + overflow).toBe(received);
      expect(lost).toBeGreaterThanOrEqual(overflow);
      expect(kept.length + lost).toBeGreaterThanOrEqual(made + 1);
    });
  }
});
