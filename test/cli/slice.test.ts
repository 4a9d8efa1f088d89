// Slices to share (issue 28), with the real binary and real BPF: a recording made while a task
// named `pscsecret` (comm and argv) runs and a TCP connection is made; `replay --slice` of a range
// replays exactly that range; with --anonymize, `pscsecret`, the host's name and the addresses
// appear nowhere in the slice, every number is unchanged, the same string is the same pseudonym
// everywhere (and two strings never share one), and the slice replays without a skipped record.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noBpf } from '../helpers/bpf.js';
import { BIN } from '../helpers/perfscope.js';
import { readRecording } from '../../src/replay/format.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-slice-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}
const lines = (stdout: string) => stdout.split('\n').filter(Boolean);

/** Pairs every string of `a` with the string at the same place in `b`; numbers, booleans, keys and lengths must be equal. */
function pair(a: unknown, b: unknown, at: string, strings: [string, string, string][]): void {
  if (typeof a === 'string') {
    expect(typeof b, at).toBe('string');
    strings.push([a, b as string, at]);
    return;
  }
  if (a === null || typeof a !== 'object') {
    expect(b, at).toBe(a); // every number (and boolean, null) unchanged
    return;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b), at).toBe(true);
    expect((b as unknown[]).length, at).toBe(a.length);
    a.forEach((x, i) => pair(x, (b as unknown[])[i], `${at}[${i}]`, strings));
    return;
  }
  expect(Object.keys(b as object), at).toEqual(Object.keys(a));
  for (const [k, x] of Object.entries(a)) pair(x, (b as Record<string, unknown>)[k], `${at}.${k}`, strings);
}

describe.skipIf(noBpf)('replay --slice [--anonymize]', () => {
  it('a slice replays exactly its range; anonymized, pscsecret is nowhere and every number is kept', async () => {
    const secret = join(DIR, 'pscsecret');
    copyFileSync('/bin/sleep', secret);
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // pscsecret runs again and again (comm and argv[0] `pscsecret`), and connects are made to the server.
    const load: ChildProcess = spawn('bash', ['-c', `while :; do ${secret} 0.05; done`], { stdio: 'ignore', detached: true });
    const tcp = setInterval(() => connect(port, '127.0.0.1').on('error', () => {}), 100);
    const file = join(DIR, 'orig.psrec');
    // Spawned, not spawnSync: the connects above are made by this process's event loop while the recorder runs.
    let rec: { status: number | null; stderr: string };
    try {
      const child = spawn(process.execPath, [BIN, 'record', '-o', file, '-i', '0.5', '--duration', '6s'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 90_000,
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      rec = { status, stderr };
    } finally {
      clearInterval(tcp);
      process.kill(-load.pid!, 'SIGKILL');
      server.close();
    }
    expect(rec.status, rec.stderr).toBe(0);
    const all = run(['replay', file, '--json']);
    expect(all.status, all.stderr).toBe(0);
    const orig = lines(all.stdout);
    expect(orig.length).toBeGreaterThanOrEqual(10);
    expect(all.stdout).toContain('pscsecret');
    expect(all.stdout).toContain('127.0.0.1');

    // The range: the 3rd to the 3rd-last interval, by their recorded times.
    const t = orig.map((l) => (JSON.parse(l) as { time: string }).time);
    const [a, b] = [2, orig.length - 3];
    const plain = join(DIR, 'plain.psrec');
    const s1 = run(['replay', file, '--slice', '--from', t[a], '--to', t[b], '-o', plain]);
    expect(s1.status, s1.stderr).toBe(0);
    expect(s1.stderr).toMatch(new RegExp(`plain\\.psrec: ${b - a + 1} records, \\d+ bytes`));
    expect(statSync(plain).mode & 0o777).toBe(0o600);
    const back = run(['replay', plain, '--json']);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stderr).toBe('');
    expect(lines(back.stdout)).toEqual(orig.slice(a, b + 1));

    const anon = join(DIR, 'anon.psrec');
    const s2 = run(['replay', file, '--slice', '--from', t[a], '--to', t[b], '-o', anon, '--anonymize']);
    expect(s2.status, s2.stderr).toBe(0);
    const ab = run(['replay', anon, '--json']);
    expect(ab.status, ab.stderr).toBe(0);
    expect(ab.stderr).toBe(''); // every record passes its probes' schemas: nothing skipped
    const got = lines(ab.stdout);
    expect(got).toHaveLength(b - a + 1);
    // Nowhere: not in the replayed lines, not in the file's records (inflated), not in its header.
    const raw = readRecording(readFileSync(anon));
    if (!raw.ok) throw new Error(raw.error);
    const everything = [ab.stdout, ...raw.lines, JSON.stringify(raw.header)].join('\n');
    // (The host's name as a whole JSON string: a short one, `vm`, is part of many words.)
    for (const secretText of ['pscsecret', JSON.stringify(hostname()), '127.0.0.1', DIR]) expect(everything.includes(secretText), secretText).toBe(false);
    const origRaw = readRecording(readFileSync(file));
    expect(origRaw.ok && origRaw.header.host).toBe(hostname());

    const strings: [string, string, string][] = [];
    orig.slice(a, b + 1).forEach((l, i) => pair(JSON.parse(l), JSON.parse(got[i]), `line ${i}`, strings));
    // Every string kept is one the format fixes; every other became a pseudonym of its kind.
    const forward = new Map<string, string>();
    const backward = new Map<string, string>();
    let secrets = 0;
    for (const [o, n, at] of strings) {
      if (o.includes('pscsecret')) secrets++;
      if (o === n) {
        expect(o, at).not.toContain('pscsecret');
        continue;
      }
      expect(n, at).toMatch(/^(anon-\d+|\/anon-\d+|198\.1[89]\.\d+\.\d+|2001:db8::[0-9a-f]+)$/);
      // Stable: one pseudonym per string, and never the same pseudonym for two strings.
      expect(forward.get(o) ?? n, at).toBe(n);
      expect(backward.get(n) ?? o, at).toBe(o);
      forward.set(o, n);
      backward.set(n, o);
    }
    expect(secrets).toBeGreaterThan(0);
    // The same task keeps the same pseudonym: every exec event of pscsecret has one comm.
    const comms = new Set<string>();
    got.forEach((l, i) => {
      const o = JSON.parse(orig[a + i]) as { exec?: { comm: string }[] };
      const n = JSON.parse(l) as { exec?: { comm: string }[] };
      o.exec?.forEach((e, k) => e.comm === 'pscsecret' && comms.add(n.exec![k].comm));
    });
    expect(comms.size).toBe(1);
    expect([...comms][0]).toMatch(/^anon-\d+$/);
  }, 120_000);
});
