// --print on the command line, as root against the real kernel: one line per hit in --json and
// in a recording (and its replay), for a test program of known calls; a bad value is one line and
// exit 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { noBpf } from '../helpers/bpf.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const WORK_C = fileURLToPath(new URL('../probes/helpers/uprobework.c', import.meta.url));

interface PrintLine {
  event: string;
  value: number | null;
  pid: number;
  comm: string;
  str?: string | null;
  truncated?: boolean;
}

describe.skipIf(noBpf)('--print', () => {
  let dir = '';
  let bin = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-print-'));
    bin = path.join(dir, 'uprobework');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, WORK_C]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** perfscope with these arguments beside the test program (malloc 1000), which goes at perfscope's first line; its stdout lines. */
  async function beside(args: (pid: number) => string[], mode = ['malloc', '1000']): Promise<{ lines: string[]; pid: number }> {
    const work = spawn(bin, mode, { stdio: ['pipe', 'pipe', 'inherit'] });
    const workLines = createInterface({ input: work.stdout! })[Symbol.asyncIterator]();
    expect((await workLines.next()).value).toBe('ready');
    const pid = work.pid!;
    const ps = spawn(process.execPath, [BIN, ...args(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    ps.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const lines: string[] = [];
    let went = false;
    for await (const l of createInterface({ input: ps.stdout! })) {
      lines.push(l);
      if (!went) {
        went = true;
        work.stdin!.write('go\n');
      }
    }
    const code = await new Promise<number | null>((r) => (ps.exitCode !== null ? r(ps.exitCode) : ps.on('exit', (c) => r(c))));
    if (work.exitCode === null) work.kill('SIGKILL');
    expect(err).toBe('');
    expect(code).toBe(0);
    return { lines, pid };
  }

  it('--json: 2,000 lines of u:c:malloc:arg1 for the program, 1,000 of them with 5000', async () => {
    const { lines, pid } = await beside((pid) => ['--json', '-n', '4', '-i', '0.5', '--probes', 'print', '-p', String(pid), '--print', 'u:c:malloc:arg1']);
    const events: PrintLine[] = lines.flatMap((l) => JSON.parse(l).print ?? []);
    expect(events.length).toBe(2000);
    expect(events.filter((e) => e.value === 5000).length).toBe(1000);
    expect(events.every((e) => e.event === 'u:c:malloc:arg1' && e.pid === pid && e.comm === 'uprobework')).toBe(true);
    for (const l of lines) expect(JSON.parse(l).probes.print.lost).toBe(0);
  });

  it('a recording holds the lines, and its replay gives them back', async () => {
    const f = path.join(dir, 'rec.ndjson');
    await beside((pid) => ['record', '-o', f, '--duration', '2', '--json', '-i', '0.5', '--probes', 'print', '-p', String(pid), '--print', 'u:c:malloc:arg1']);
    const back = spawnSync(process.execPath, [BIN, 'replay', f, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(back.status).toBe(0);
    const events: PrintLine[] = back.stdout
      .trim()
      .split('\n')
      .flatMap((l) => JSON.parse(l).print ?? []);
    expect(events.filter((e) => e.value === 5000).length).toBe(1000);
  });

  it('--json: u:PROGRAM:pscstr:arg1:str carries the strings for its pid: 100 "pscstring-42", one cut at 128 bytes and flagged, one escaped, one unreadable', async () => {
    const spec = `u:${bin}:pscstr:arg1:str`;
    const { lines, pid } = await beside((pid) => ['--json', '-n', '4', '-i', '0.5', '--probes', 'print', '-p', String(pid), '--print', spec], ['str', '100']);
    const events: PrintLine[] = lines.flatMap((l) => JSON.parse(l).print ?? []);
    expect(events.length).toBe(103);
    expect(events.every((e) => e.event === `${spec}` && e.pid === pid && e.comm === 'uprobework' && e.value === null)).toBe(true);
    expect(events.filter((e) => e.str === 'pscstring-42' && e.truncated === false).length).toBe(100);
    // 300 bytes: the first 128 kept, flagged
    expect(events.filter((e) => e.str === 'L'.repeat(128) && e.truncated === true).length).toBe(1);
    // an escape sequence from the process reaches --json (and the screen) escaped
    expect(events.filter((e) => e.str === '\\e[31mred' && e.truncated === false).length).toBe(1);
    // NULL: nothing read, said
    expect(events.filter((e) => e.str === null).length).toBe(1);
    for (const l of lines) expect(JSON.parse(l).probes.print.lost).toBe(0);
  });

  it('a recording holds the strings, and its replay gives them back', async () => {
    const f = path.join(dir, 'rec-str.ndjson');
    const spec = `u:${bin}:pscstr:arg1:str`;
    await beside(
      (pid) => ['record', '-o', f, '--duration', '2', '--json', '-i', '0.5', '--probes', 'print', '-p', String(pid), '--print', spec],
      ['str', '100'],
    );
    const back = spawnSync(process.execPath, [BIN, 'replay', f, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(back.status).toBe(0);
    const events: PrintLine[] = back.stdout
      .trim()
      .split('\n')
      .flatMap((l) => JSON.parse(l).print ?? []);
    expect(events.filter((e) => e.str === 'pscstring-42').length).toBe(100);
    expect(events.filter((e) => e.truncated === true && e.str === 'L'.repeat(128)).length).toBe(1);
    expect(events.filter((e) => e.str === '\\e[31mred').length).toBe(1);
  });

  it(':str on a field that is not a string, or on an argument out of range: one line, exit 2', () => {
    const bad: [string, string][] = [
      [
        'sched:sched_switch:prev_pid:str',
        "perfscope: field 'prev_pid' of sched:sched_switch is not a string (pid_t); ':str' takes a char *, char[N] or __data_loc char[] field",
      ],
      ['u:c:puts:arg7:str', 'perfscope: argument index 7 out of range for u:c:puts: arg1..arg6'],
      ['ur:c:malloc:lat:str', "perfscope: bad probe 'ur:c:malloc:lat:str': a latency is not a string (ret:str reads the return value)"],
    ];
    for (const [spec, line] of bad) {
      const r = spawnSync(process.execPath, [BIN, '--json', '-n', '1', '--print', spec], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, spec).toBe(2);
      expect(r.stderr.trimEnd(), spec).toBe(line);
    }
    // --trace counts: it has no strings
    const r = spawnSync(process.execPath, [BIN, '--json', '-n', '1', '--trace', 'u:c:puts:arg1:str'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toBe("perfscope: 'u:c:puts:arg1:str': ':str' (a string) is for --print only");
  });

  it('a bad value: one line, exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, '--json', '-n', '1', '--print', 'u:c:malloc:arg0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toBe('perfscope: argument index 0 out of range for u:c:malloc: arg1..arg6');
  });
});
