// Record and replay with the real binary: a 10 s recording made while the same run prints
// --json replays (replay --json) to exactly the bytes printed live; --duration ends a recording by
// itself; --max-size below the header, a missing file, a file that is not a recording and a newer
// format each fail with one line and exit 2; a file cut short replays what it holds, says where it
// stopped, exits 0; and the replay screen in tmux answers its keys.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { noBpf } from '../helpers/bpf.js';
import { BIN, PROMPT_RE, TmuxSession, alive, sleep, statusSays, waitExit } from './tmux.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-replay-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
  return lines[0];
}

/** Known load until stopped: execs of /bin/true and opens of a file of ours. */
function load(marker: string): ChildProcess {
  writeFileSync(join(DIR, marker), 'x');
  return spawn('bash', ['-c', `while :; do /bin/true ${marker}; cat ${join(DIR, marker)} >/dev/null; sleep 0.05; done`], { stdio: 'ignore', detached: true });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid && alive(c.pid)) process.kill(-c.pid, 'SIGKILL');
});

describe.skipIf(noBpf)('record, then replay --json: the same bytes as live --json', () => {
  it('record -o F -i 1 --duration 10s --json under exec and open load; replay F --json prints exactly those lines', async () => {
    const file = join(DIR, 'live.psrec');
    const l = load('psreplaymark');
    children.push(l);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [BIN, 'record', '-o', file, '-i', '1', '--duration', '10s', '--json'], {
      encoding: 'utf8',
      timeout: 90_000,
      maxBuffer: 256 << 20,
    });
    process.kill(-l.pid!, 'SIGKILL');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(Date.now() - t0).toBeGreaterThan(9_000); // ten intervals of 1 s
    const live = r.stdout.split('\n').filter(Boolean);
    expect(live).toHaveLength(10);
    const parsed = live.map((x) => JSON.parse(x) as Record<string, unknown[]>);
    expect(parsed.some((p) => p.exec?.some((e) => JSON.stringify(e).includes('psreplaymark')))).toBe(true);
    expect(parsed.some((p) => p.open?.some((e) => JSON.stringify(e).includes('psreplaymark')))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const back = run(['replay', file, '--json']);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stderr).toBe('');
    expect(back.stdout.split('\n').filter(Boolean)).toEqual(live);
    expect(back.stdout).toBe(r.stdout);

    // --from/--to: a range by time (the 3rd to the 5th interval, by their recorded times).
    const times = parsed.map((p) => p.time as unknown as string);
    const some = run(['replay', file, '--json', '--from', times[2], '--to', times[4]]);
    expect(some.status).toBe(0);
    expect(some.stdout.split('\n').filter(Boolean)).toEqual(live.slice(2, 5));
  });

  it('record --duration 3s stops by itself and exits 0', () => {
    const file = join(DIR, 'three.psrec');
    const r = run(['record', '-o', file, '--duration', '3s'], 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const back = run(['replay', file, '--json']);
    expect(back.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('record and replay: bad input', () => {
  it('--max-size smaller than the header: one line, exit 2, no file', () => {
    const file = join(DIR, 'tiny.psrec');
    const r = run(['record', '-o', file, '--max-size', '100', '--no-bpf']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--max-size 100 bytes is smaller than the recording's header \(\d+ bytes\)/);
    expect(existsSync(file)).toBe(false);
  });

  it('a missing file, not a recording, a newer version, bad flags: one line, exit 2', () => {
    const made = join(DIR, 'ok.psrec');
    expect(run(['record', '-o', made, '--no-bpf', '-i', '0.2', '--duration', '0.6s']).status).toBe(0);
    const notRec = join(DIR, 'lines.ndjson');
    writeFileSync(notRec, '{"time":"2026-11-24T18:11:29.916Z"}\n');
    const newer = join(DIR, 'newer.psrec');
    const buf = readFileSync(made);
    buf.writeUInt16LE(99, 8);
    writeFileSync(newer, buf);
    const cases: [string[], RegExp][] = [
      [['replay', join(DIR, 'nope.psrec')], /nope\.psrec: no such file/],
      [['replay', notRec, '--json'], /lines\.ndjson: not a perfscope recording \(bad magic\)/],
      [['replay', newer, '--json'], /format version 99 is newer than this perfscope reads \(1\)/],
      [['replay'], /replay takes one recording/],
      [['replay', made, '-o', join(DIR, 'x.psrec')], /-o\/--output only goes with replay --slice/],
      [['replay', made, '--slice', '--from', '12:00'], /replay --slice needs -o OUT/],
      [['replay', made, '--json', '--from', 'noon'], /--from: a time is HH:MM:SS/],
      [['record', '--no-bpf'], /needs -o FILE/],
      [['record', '-o', made, '--duration', 'soon'], /--duration: a duration/],
      [['--duration', '3s', '--json'], /only goes with a recording/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(re);
    }
  });

  it('a file cut short (kill -9, full disk) replays what it holds, says where it stopped, exits 0', () => {
    const made = join(DIR, 'cut.psrec');
    expect(run(['record', '-o', made, '--no-bpf', '-i', '0.2', '--duration', '0.6s']).status).toBe(0);
    const full = run(['replay', made, '--json']).stdout.split('\n').filter(Boolean);
    expect(full).toHaveLength(3);
    const buf = readFileSync(made);
    writeFileSync(made, buf.subarray(0, buf.length - 5));
    const r = run(['replay', made, '--json']);
    expect(r.status).toBe(0);
    expect(oneLine(r.stderr)).toMatch(/cut\.psrec: truncated after record 2 \(byte \d+\): record 3 is incomplete/);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(full.slice(0, 2));
  });
});

describe('replay in a terminal', () => {
  let session: TmuxSession | null = null;
  let pid = 0;
  afterEach(() => {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    pid = 0;
    session?.kill();
    session = null;
  });

  it('header says replay and the position; space pauses, t/T step, J jumps back, g goes to a time, q restores the terminal', async () => {
    const file = join(DIR, 'screen.psrec');
    const rec = run(['record', '-o', file, '--no-bpf', '-i', '0.2', '--duration', '8s']);
    expect(rec.status, rec.stderr).toBe(0);
    const lines = run(['replay', file, '--json']).stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(40);
    const s = (session = new TmuxSession(80, 24));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['replay', file]);
    pid = await s.perfscopePid();
    const pos = (screen: string) => {
      const m = /replay (PAUSED |end )?(\d\d:\d\d:\d\d) \((\d+)\/40\)/.exec(screen.split('\n')[0]);
      return m ? { paused: m[1] === 'PAUSED ', time: m[2], n: Number(m[3]) } : null;
    };
    let screen = await s.waitScreen((x) => pos(x) !== null && statusSays(x, 'proc', 'on'), 'the replay header', 45_000);
    expect(screen.split('\n')[0]).not.toContain('live');
    s.keys('Space');
    screen = await s.waitScreen((x) => pos(x)?.paused === true, 'PAUSED');
    const p = pos(screen)!.n;
    await sleep(700); // paused: the position stays
    expect(pos(s.capture())?.n).toBe(p);
    s.keys('J');
    const q = Math.max(1, p - 10);
    await s.waitScreen((x) => pos(x)?.n === q, `position ${q}`);
    s.keys('t');
    await s.waitScreen((x) => pos(x)?.n === q + 1, `position ${q + 1}`);
    s.keys('T');
    screen = await s.waitScreen((x) => pos(x)?.n === q, `position ${q} again`);
    // The toggle keys start nothing.
    s.keys('3');
    await sleep(500);
    expect(pos(s.capture())?.n).toBe(q);
    // g: go to the 31st interval's time.
    const t31 = (JSON.parse(lines[30]) as { time: string }).time;
    s.keys('g');
    await s.waitScreen((x) => x.includes('go to ('), 'the go-to prompt');
    s.type(t31);
    s.keys('Enter');
    await s.waitScreen((x) => pos(x)?.n === 31, 'position 31');
    s.keys('g');
    await s.waitScreen((x) => x.includes('go to ('), 'the go-to prompt again');
    s.type('noon');
    s.keys('Enter');
    await s.waitScreen((x) => x.includes('go to: a time is HH:MM:SS'), 'the bad-time message');
    // Resume: it plays on by itself.
    s.keys('Space');
    await s.waitScreen((x) => (pos(x)?.n ?? 0) > 31, 'playing on');
    s.keys('q');
    expect(await waitExit(pid)).toBe(true);
    await s.waitScreen((x) => PROMPT_RE.test(x) && s.display('#{alternate_on}') === '0', 'the shell on the main screen', 15_000);
    expect(s.display('#{cursor_flag}')).toBe('1');
    const raw = s.raw().toString('latin1');
    expect(raw.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(raw.lastIndexOf('\x1b[?1049h'));
  });

  it('--record FILE records while the screen runs; q ends it with every complete interval in the file', async () => {
    const file = join(DIR, 'screen-live.psrec');
    const s = (session = new TmuxSession(80, 24));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['--no-bpf', '-i', '0.3', '--record', file]);
    pid = await s.perfscopePid();
    await s.waitScreen((x) => statusSays(x, 'proc', 'on') && /live/.test(x), 'the live screen', 45_000);
    const end = Date.now() + 30_000;
    let n = 0;
    while (Date.now() < end) {
      n = run(['replay', file, '--json']).stdout.split('\n').filter(Boolean).length;
      if (n >= 3) break;
      await sleep(300);
    }
    expect(n).toBeGreaterThanOrEqual(3);
    s.keys('q');
    expect(await waitExit(pid)).toBe(true);
    const r = run(['replay', file, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(n);
  });
});
