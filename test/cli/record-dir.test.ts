// The always-on recorder with the real binary (issue 28): `record --dir` writes shards and
// deletes them by --retain; the directory replays as one timeline; --from takes relative times;
// SIGHUP starts a new shard and SIGTERM ends with 0; a SIGKILL leaves a directory that replays up
// to its last complete record; a full disk (a small tmpfs) ends the shard with one line and keeps
// the older shards, and recording resumes once there is room; the directory is checked before a
// byte is written.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/perfscope.js';
import { SHARD_RE } from '../../src/replay/shards.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-recdir-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function run(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}

function start(args: string[]): { child: ChildProcess; exited: Promise<number | null>; err: () => string; out: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, exited, err: () => err, out: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shards = (d: string) =>
  existsSync(d)
    ? readdirSync(d)
        .filter((n) => SHARD_RE.test(n))
        .sort()
    : [];
const lines = (stdout: string) => stdout.split('\n').filter(Boolean);
const times = (ls: string[]) => ls.map((l) => Date.parse((JSON.parse(l) as { time: string }).time));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('record --dir: shards, retention, one timeline', () => {
  it('5 s shards, 12 s retention, 30 s at 0.5 s: 2-5 shards remain, 10-19 s of intervals without a gap, --from "6s ago" fewer', async () => {
    const d = join(DIR, 'ret');
    const r = start(['record', '--dir', d, '--shard', '5s', '--retain', '12s', '-i', '0.5', '--duration', '30s', '--no-bpf']);
    expect(await r.exited, r.err()).toBe(0);
    expect(r.err()).toBe('');
    expect(statSync(d).mode & 0o777).toBe(0o700);
    const names = shards(d);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names.length).toBeLessThanOrEqual(5);
    for (const n of names) expect(statSync(join(d, n)).mode & 0o777).toBe(0o600);

    // First, while "6s ago" still falls inside the recording (it ended just now).
    const recent = run(['replay', d, '--json', '--from', '6s ago']);
    const all = run(['replay', d, '--json']);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stderr).toBe('');
    const ls = lines(all.stdout);
    // 10-19 s of intervals of 0.5 s.
    expect(ls.length).toBeGreaterThanOrEqual(20);
    expect(ls.length).toBeLessThanOrEqual(38);
    const ts = times(ls);
    for (let i = 1; i < ts.length; i++) {
      // Ascending, across shard boundaries, and no interval missing: at most one interval late
      // (the scheduler's due on a loaded box), never a missing one bridged over.
      expect(ts[i]).toBeGreaterThan(ts[i - 1]);
      expect(ts[i] - ts[i - 1], `between ${i - 1} and ${i}`).toBeLessThan(1500);
    }
    expect(recent.status, recent.stderr).toBe(0);
    const rl = lines(recent.stdout);
    expect(rl.length).toBeGreaterThan(0);
    expect(rl.length).toBeLessThan(ls.length);
    // The same lines as the whole directory's last ones.
    expect(rl).toEqual(ls.slice(ls.length - rl.length));
    // -2h: before the recording, so everything; an --at prints the one interval.
    expect(lines(run(['replay', d, '--json', '--from', '-2h']).stdout)).toEqual(ls);
    const one = run(['replay', d, '--json', '--at', new Date(ts[3]).toISOString()]);
    expect(lines(one.stdout)).toEqual([ls[3]]);
    // A range that holds nothing: one line, exit 2.
    const none = run(['replay', d, '--json', '--from', '2001-01-01T00:00:00Z', '--to', '2001-01-01T00:01:00Z']);
    expect(none.status).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/no shard holds that range/);
  }, 120_000);

  it('SIGHUP starts a new shard, SIGTERM ends with 0; a file that is not a shard is never touched', async () => {
    const d = join(DIR, 'hup');
    mkdirSync(d, { mode: 0o700 });
    writeFileSync(join(d, 'notes.txt'), 'mine');
    writeFileSync(join(d, 'perfscope-old.psrec'), 'not a shard name');
    const r = start(['record', '--dir', d, '--shard', '1h', '--retain', '1s', '-i', '0.2', '--no-bpf']);
    await until(() => shards(d).length === 1 && statSync(join(d, shards(d)[0])).size > 200, 30_000, 'the first shard');
    const first = shards(d)[0];
    await sleep(1500); // the first shard is now older than --retain
    r.child.kill('SIGHUP');
    // The next interval goes to a new shard; --retain 1s then deletes the first (started over 1 s ago).
    await until(() => shards(d).some((n) => n !== first), 30_000, 'a second shard');
    await until(() => !shards(d).includes(first), 30_000, 'retention of the first');
    r.child.kill('SIGTERM');
    expect(await r.exited, r.err()).toBe(0);
    expect(existsSync(join(d, 'notes.txt'))).toBe(true);
    expect(existsSync(join(d, 'perfscope-old.psrec'))).toBe(true);
    const rep = run(['replay', d, '--json']);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stderr).toBe('');
  }, 90_000);

  it('--max-disk: the shards together never pass it; the oldest go first, the newest stay', async () => {
    const d = join(DIR, 'maxdisk');
    const max = 24 * 1024;
    const r = start(['record', '--dir', d, '--shard', '2s', '--max-disk', '24K', '-i', '0.2', '--no-bpf']);
    const total = () => shards(d).reduce((a, n) => a + (existsSync(join(d, n)) ? statSync(join(d, n)).size : 0), 0);
    let seen = 0;
    let most = 0;
    const names = new Set<string>();
    const end = Date.now() + 60_000;
    // Until the shards written add up to well past the bound (the oldest were deleted).
    while (Date.now() < end) {
      for (const n of shards(d)) names.add(n);
      most = Math.max(most, total());
      seen = [...names].length;
      if (seen >= 4 && shards(d).length < seen) break;
      await sleep(100);
    }
    r.child.kill('SIGTERM');
    expect(await r.exited, r.err()).toBe(0);
    expect(r.err()).toBe('');
    expect(most).toBeLessThanOrEqual(max);
    expect(total()).toBeLessThanOrEqual(max);
    const left = shards(d);
    expect(left.length).toBeLessThan(seen); // some were deleted
    expect(left).toEqual([...names].sort().slice(-left.length)); // the newest stayed
    const rep = run(['replay', d, '--json']);
    expect(rep.status, rep.stderr).toBe(0);
  }, 90_000);

  it('the directory is checked: a symbolic link, another owner, a group-writable mode are refused with one line, exit 2', () => {
    const real = join(DIR, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(DIR, 'link');
    symlinkSync(real, link);
    const open = join(DIR, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const other = join(DIR, 'other');
    mkdirSync(other, { mode: 0o700 });
    spawnSync('chown', ['65534', other]);
    for (const [dir, re] of [
      [link, /is a symbolic link: refused/],
      [open, /writable by group or others \(mode 777\): refused/],
      [other, /owned by uid 65534/],
      [join(DIR, 'no', 'such'), /parent directory does not exist/],
    ] as const) {
      const r = run(['record', '--dir', dir, '--no-bpf', '--duration', '1s']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    expect(readdirSync(real)).toEqual([]);
    expect(readdirSync(open)).toEqual([]);
  });
});

describe('record --dir: killed, and a full disk', () => {
  it('SIGKILL mid-record: the directory replays up to its last complete record', async () => {
    const d = join(DIR, 'kill');
    const r = start(['record', '--dir', d, '--shard', '1s', '-i', '0.2', '--json']);
    await until(() => lines(r.out()).length >= 12, 60_000, '12 intervals');
    r.child.kill('SIGKILL');
    await r.exited;
    const live = lines(r.out());
    const rep = run(['replay', d, '--json']);
    expect(rep.status, rep.stderr).toBe(0);
    // At most one line: the last shard cut in its last record (or no line when the kill fell between records).
    expect(rep.stderr.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
    if (rep.stderr) expect(rep.stderr).toMatch(/truncated after record \d+/);
    const back = lines(rep.stdout);
    // Every interval printed live was recorded (the json sink prints before the recorder writes:
    // the last one may be missing), and nothing else; the same bytes.
    expect(back.length).toBeGreaterThanOrEqual(live.length - 1);
    expect(back.length).toBeLessThanOrEqual(live.length);
    expect(back).toEqual(live.slice(0, back.length));
    expect(shards(d).length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('a full disk (a small tmpfs) ends the shard with one line, keeps the older shards, and the next shard starts once there is room', async () => {
    const mnt = join(DIR, 'tmpfs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    try {
      const d = join(mnt, 'rec');
      const r = start(['record', '--dir', d, '--shard', '2s', '--retain', '1d', '-i', '0.2', '--no-bpf']);
      await until(() => shards(d).length >= 2, 30_000, 'two shards');
      const before = shards(d);
      // Fill the file system: the recorder's next write fails.
      spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
      await until(() => /ENOSPC/.test(r.err()), 30_000, 'the ENOSPC line');
      const said = r.err().trim().split('\n');
      expect(said, r.err()).toHaveLength(1);
      // The write that failed was a record (the shard ends at its last complete one) or, when the
      // disk filled just as a shard was due, the new shard's header (the new file is removed).
      expect(said[0]).toMatch(
        /^perfscope: .*perfscope-\d{8}T\d{6}\.\d{3}Z\.psrec: (recording stopped after record \d+: .*ENOSPC.*shard ended|cannot start a shard: ENOSPC.*)\(?.*the older shards are kept/,
      );
      expect(r.child.exitCode).toBeNull(); // the service goes on
      for (const n of before.slice(0, -1)) expect(shards(d)).toContain(n);
      // Every shard ends cleanly: the one cut by the full disk at its last complete record.
      const rep = run(['replay', d, '--json']);
      expect(rep.status, rep.stderr).toBe(0);
      expect(rep.stderr).toBe('');
      const n0 = lines(rep.stdout).length;
      expect(n0).toBeGreaterThan(5);
      // Room again: a new shard starts when the next one is due (the shard length after the failure).
      rmSync(join(mnt, 'filler'));
      const count = shards(d).length;
      await until(() => shards(d).length > count, 30_000, 'a new shard after the disk has room');
      await until(() => lines(run(['replay', d, '--json']).stdout).length > n0 + 2, 30_000, 'more records');
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await sleep(200);
      spawnSync('umount', [mnt]);
    }
  }, 120_000);
});
