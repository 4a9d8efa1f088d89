// --trace on the command line, as root against the real kernel: a run's --json lines carry each
// tracepoint; every bad value is one line on stderr and exit 2, before anything is loaded.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { noBpf } from '../helpers/bpf.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

describe.skipIf(noBpf)('--trace', () => {
  it('counts a tracepoint and histograms a field, in --json, by task; the others run beside it', () => {
    const r = run(['--json', '-n', '2', '-i', '0.5', '--probes', 'trace,proc', '--trace', 'sched:sched_switch', '--trace', 'syscalls:sys_enter_read:count']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const j of lines) {
      expect(j.probes.trace.state).toBe('running');
      expect(j.counters).not.toBeNull();
      const ids = j.trace.tracepoints.map((t: { id: string }) => t.id).sort();
      expect(ids).toEqual(['sched:sched_switch', 'syscalls:sys_enter_read:count']);
      const sw = j.trace.tracepoints.find((t: { id: string }) => t.id === 'sched:sched_switch');
      // perfscope itself reads and sleeps between intervals: every interval has switches
      expect(sw.count).toBeGreaterThan(0);
      expect(sw.count).toBe(sw.tasks.reduce((a: number, t: { count: number }) => a + t.count, 0) + sw.other_tasks + sw.task_lost);
      expect(sw.hist).toBeNull();
      const rd = j.trace.tracepoints.find((t: { id: string }) => t.id === 'syscalls:sys_enter_read:count');
      expect(rd.hist.slots).toHaveLength(64);
      expect(rd.hist.count + rd.hist.negative).toBe(rd.count);
    }
  });

  const bad: [string[], RegExp][] = [
    [['--trace', 'sched:nope'], /^perfscope: no tracepoint sched:nope; see \/sys\/kernel\/(debug\/)?tracing\/available_events$/],
    [
      ['--trace', 'sched:sched_switch:nope'],
      /^perfscope: no field 'nope' in sched:sched_switch; its numeric fields: prev_pid, prev_prio, prev_state, next_pid, next_prio$/,
    ],
    [['--trace', 'sched:sched_switch:prev_comm'], /^perfscope: field 'prev_comm' of sched:sched_switch is not numeric \(char\[16\]: an array\)$/],
    [
      ['--trace', 'syscalls:sys_enter_openat:filename'],
      /^perfscope: field 'filename' of syscalls:sys_enter_openat is not numeric \(const char \*: a pointer\)$/,
    ],
    [['--trace', 'nope:*'], /^perfscope: 'nope:\*' matches no tracepoint; see /],
    [['--trace', 'syscalls:*'], /^perfscope: 'syscalls:\*' matches \d+ tracepoints; at most 256 can be attached at once$/],
    [['--trace', 'sched_switch'], /^perfscope: bad tracepoint 'sched_switch': expected CATEGORY:NAME/],
    [['--trace', '../../x:y'], /^perfscope: bad tracepoint/],
    [['--trace', ''], /^perfscope: --trace needs a value/],
    [['--probes', 'proc', '--trace', 'sched:sched_switch'], /^perfscope: --trace needs the trace probe, which --probes leaves out$/],
    // user-space probes (issue 33)
    [['--trace', 'u:nosuchlib:malloc'], /^perfscope: no library or program 'nosuchlib' \(looked in .*; give a path\)$/],
    [['--trace', 'u:c:no_such_function'], /^perfscope: no function no_such_function in \/.*libc\.so\.6/],
    [['--trace', 'u:c:*'], /^perfscope: 'u:c:\*' matches \d+ functions of \/.*libc\.so\.6; at most 256 can be attached at once$/],
    [['--trace', 'u:c:malloc:arg7'], /^perfscope: argument index 7 out of range for u:c:malloc: arg1\.\.arg6$/],
    [['--trace', 'usdt:/usr/bin/python3.11:python:nope'], /^perfscope: no USDT probe python:nope in \/usr\/bin\/python3\.11; it has /],
    [
      ['--trace', 'usdt:/usr/bin/python3.11:python:gc__start:arg5'],
      /^perfscope: argument index 5 out of range for usdt:.*\(it has 1 argument\): arg1\.\.arg1$/,
    ],
    [['--trace', 'u:/nonexistent/lib.so:f'], /^perfscope: no file \/nonexistent\/lib\.so$/],
    [['--trace', 'u:c:mal\x1b[2Jloc'], /^perfscope: bad function 'mal\\e\[2Jloc'/],
    [['--trace', 'u:li\x1b[2Jb:malloc'], /^perfscope: bad library 'li\\e\[2Jb': a name or a path, in printable ASCII without ':' or spaces$/],
    [['--print', 'u:c'], /^perfscope: bad probe 'u:c': expected u:LIB:FUNC\[:argN\]$/],
  ];
  for (const [args, re] of bad) {
    it(`${args.join(' ')}: one line, exit 2`, () => {
      const r = run(['--json', '-n', '1', ...args]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(re);
    });
  }

  it('a tracepoint the kernel refuses to attach: its errno in one line, exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-tracing-'));
    try {
      mkdirSync(path.join(dir, 'events', 'perfscope_test', 'nope'), { recursive: true });
      writeFileSync(path.join(dir, 'available_events'), 'perfscope_test:nope\n');
      const r = run(['--json', '-n', '1', '--probes', 'trace', '--trace', 'perfscope_test:nope'], { PERFSCOPE_TRACING_DIR: dir });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd()).toMatch(/^perfscope: trace: the kernel refused to attach perfscope_test:nope \(ENOENT: [^\n]+\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
