// The real binary, headless: `perfscope --json --count N` needs no TTY, prints one JSON object
// per interval and exits; bad flags exit 2 with one line; its BPF programs are gone after exit.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { heldProgramIds, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('perfscope command line', () => {
  it('--help and --version exit 0', () => {
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^Usage: perfscope/);
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^perfscope \d+\.\d+\.\d+\n$/);
  });

  it.each([
    [['--bogus'], /Unknown option/],
    [['-C', '999'], /CPU 999 is not online/],
    [['-i', 'fast'], /interval/],
    [['--probes', 'nope'], /unknown probe/],
    // This host has no isolated CPU (test/proc/isolation.test.ts checks it).
    [['-C', 'isolated', '--json'], /^perfscope: -C isolated: this host has no isolated CPU/],
  ])('%j: one line on stderr, exit 2, no stack trace', (args, re) => {
    const r = run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('without a TTY and without --json: says so, exit 2', () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a terminal.*--json/);
  });
});

describe.skipIf(noBpf)('--json with real probes', () => {
  it('--json --count 2: two NDJSON lines with the contract fields, then exit 0; nothing left loaded', async () => {
    const child = spawn(process.execPath, [BIN, '--json', '--count', '2', '--interval', '0.5', '--probes', 'runqlat'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let ids: number[] = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (ids.length === 0) ids = heldProgramIds(child.pid!);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // The programs are attached before the first line: read them while it runs.
    const t0 = Date.now();
    while (ids.length === 0 && Date.now() - t0 < 5000 && child.exitCode === null) {
      ids = heldProgramIds(child.pid!);
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const j = JSON.parse(line);
      expect(new Date(j.time).toISOString()).toBe(j.time);
      expect(j.interval_s).toBeGreaterThan(0.3);
      expect(j.interval_s).toBeLessThan(1);
      expect(j.pinned_cpu).toBeNull();
      expect(Object.keys(j.probes).sort()).toEqual([
        'containers',
        'exec',
        'isolation',
        'offcpu',
        'open',
        'print',
        'proc',
        'profile',
        'runqlat',
        'tcp',
        'trace',
      ]);
      expect(j.probes.runqlat.state).toBe('running');
      expect(j.probes.runqlat.run_cnt).toBeGreaterThan(0);
      expect(j.probes.runqlat.ns_per_event).toBeGreaterThan(0);
      expect(j.probes.offcpu.state).toBe('off');
      expect(j.runqlat.unit).toBe('us');
      expect(j.runqlat.all).toHaveLength(27);
      expect(Object.keys(j.runqlat.cpus).length).toBeGreaterThanOrEqual(1);
      expect(j.runqlat.count).toBe(j.runqlat.all.reduce((a: number, b: number) => a + b, 0));
      expect('p50_us' in j.runqlat && 'p99_us' in j.runqlat).toBe(true);
      expect(j.offcpu).toBeNull();
    }
    expect(ids.length).toBeGreaterThan(0);
    expect(await waitUnloaded(ids)).toEqual([]);
  });

  it('perfscope --json | head -1: the reader goes away, perfscope exits 0 within an interval, nothing loaded', async () => {
    // As `| head -1` does: read one line, then close the pipe's read end.
    const child = spawn(process.execPath, [BIN, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const first = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
      });
    });
    const ids = heldProgramIds(child.pid!);
    child.stdout.destroy();
    const closed = Date.now();
    expect(JSON.parse(first).probes.offcpu.state).toBe('running');
    expect(ids.length).toBeGreaterThan(0);
    // The next line (one interval later) finds the pipe closed: EPIPE ends the run, quietly.
    expect(await exited).toBe(0);
    expect(Date.now() - closed).toBeLessThan(5_000);
    expect(err).toBe('');
    expect(await waitUnloaded(ids)).toEqual([]);
  });

  it('-C 1 is reported as pinned_cpu', () => {
    const r = run(['--json', '--count', '1', '--interval', '0.3', '--probes', 'runqlat', '-C', '1']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).pinned_cpu).toBe(1);
  });
});

describe('not root', () => {
  it('BPF probes are unavailable with the reason; the rest runs', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, '--json', '--count', '1', '--interval', '0.3'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    // (the probes that start off, such as profile, stay off)
    const bpfProbes = CATALOGUE.filter((p) => p.bpf && !p.startsOff).map((p) => p.name);
    expect(bpfProbes.length).toBeGreaterThanOrEqual(3);
    for (const p of bpfProbes) {
      expect(j.probes[p].state).toBe('unavailable');
      expect(j.probes[p].reason).toMatch(/needs root \(CAP_BPF and CAP_PERFMON\)/);
    }
    expect(j.probes.proc.state).not.toBe('failed');
  });
});
