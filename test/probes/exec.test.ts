import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ExecProbe } from '../../src/probes/exec.js';
import type { ExecEvent } from '../../src/probes/exec-spec.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { feedConfig, PYTHON, unique, waitFor } from './helpers/feeds.js';

function run(cmd: string, args: string[]): Promise<{ pid?: number; code: number | null; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('error', (error) => resolve({ pid: c.pid, code: null, error }));
    c.on('exit', (code) => resolve({ pid: c.pid, code }));
  });
}

describe.skipIf(noBpf)('exec probe (real BPF)', () => {
  let probe: ExecProbe | null = null;
  afterEach(async () => {
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  // The per-syscall tracepoints (default) and the tp_btf fallback (no tracefs) report the same.
  for (const [hooks, progs] of [
    ['tracepoint', 1], // exit on sys_exit_execve + sys_exit_execveat
    ['tp_btf', 1], // tp_btf sys_exit
  ] as const) {
    it(`reports a successful exec once, with argv, ppid and ret 0 (${hooks})`, async () => {
      probe = new ExecProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      expect(probe.progIds().length).toBe(progs);
      const tag = unique();
      const r = await run('/bin/echo', [tag, 'x', 'y']);
      expect(r.code).toBe(0);
      const mine = (all: ExecEvent[]) => all.filter((e) => e.argv[1] === tag);
      const got = mine(
        await waitFor(
          () => probe!.sample(),
          (a) => mine(a).length > 0,
        ),
      );
      expect(got).toHaveLength(1);
      const e = got[0];
      expect(e).toMatchObject({
        pid: r.pid,
        ppid: process.pid,
        filename: '/bin/echo',
        argv: ['/bin/echo', tag, 'x', 'y'],
        argv_truncated: false,
        ret: 0,
        ret_name: null,
        comm: 'echo',
        uid: process.getuid!(),
      });
      expect(Math.abs(e.ts - Date.now())).toBeLessThan(5000);
      expect(e.ts % 1).not.toBe(0); // sub-millisecond fraction (nanoseconds -> ms)
      expect(probe.cost().run_cnt).toBeGreaterThan(0);
    });

    it(`reports a failed exec with ret -2 ENOENT (${hooks})`, async () => {
      probe = new ExecProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      const missing = `/nonexistent/${unique()}`;
      const r = await run(missing, ['a']);
      expect(r.error?.code).toBe('ENOENT');
      const mine = (all: ExecEvent[]) => all.filter((e) => e.filename === missing);
      const got = mine(
        await waitFor(
          () => probe!.drain(),
          (a) => mine(a).length > 0,
        ),
      );
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ ppid: process.pid, ret: -2, ret_name: 'ENOENT', argv: [missing, 'a'] });
    });
  }

  // execveat(2) has its own tracepoints (and argument positions): a failed then a successful
  // one, by raw syscall from a python3 child (x86_64 number 322, dirfd AT_FDCWD). A successful
  // execveat returns through sys_exit_execve (the kernel sets orig_ax to __NR_execve).
  for (const hooks of ['tracepoint', 'tp_btf'] as const) {
    it(`reports execveat, failed and successful (${hooks})`, async () => {
      probe = new ExecProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      const tag = unique();
      const missing = `/nonexistent/${unique()}`;
      const code = [
        'import ctypes, sys',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'libc.syscall.restype = ctypes.c_long',
        'def at(path):',
        '    argv = (ctypes.c_char_p * 3)(path, sys.argv[1].encode(), None)',
        '    envp = (ctypes.c_char_p * 1)(None)',
        '    return libc.syscall(ctypes.c_long(322), ctypes.c_long(-100), ctypes.c_char_p(path), argv, envp, ctypes.c_long(0))',
        'at(sys.argv[2].encode())',
        'at(b"/bin/true")',
        'sys.exit(3)',
      ].join('\n');
      const r = await run(PYTHON, ['-c', code, tag, missing]);
      expect(r.code).toBe(0); // /bin/true ran
      const mine = (all: ExecEvent[]) => all.filter((e) => e.argv[1] === tag);
      const got = mine(
        await waitFor(
          () => probe!.sample(),
          (a) => mine(a).length >= 2,
        ),
      );
      expect(got).toHaveLength(2);
      expect(got[0]).toMatchObject({ pid: r.pid, ppid: process.pid, filename: missing, argv: [missing, tag], ret: -2, ret_name: 'ENOENT' });
      expect(got[1]).toMatchObject({ pid: r.pid, ppid: process.pid, filename: '/bin/true', argv: ['/bin/true', tag], ret: 0, comm: 'true' });
    });
  }

  it('cuts long and many arguments and says so; escapes control bytes', async () => {
    probe = new ExecProbe();
    probe.start(feedConfig());
    const tag = unique();
    const exact = 'e'.repeat(127); // fits exactly: not truncated
    let r = await run('/bin/true', [tag, exact]);
    r = await run('/bin/true', [tag, 'a'.repeat(300), '\x1b]0;title\x07']);
    const many = Array.from({ length: 25 }, (_, i) => `m${i}`);
    await run('/bin/true', [tag, ...many]);
    expect(r.code).toBe(0);
    const mine = (all: ExecEvent[]) => all.filter((e) => e.argv[1] === tag);
    const got = mine(
      await waitFor(
        () => probe!.sample(),
        (a) => mine(a).length >= 3,
      ),
    );
    expect(got).toHaveLength(3);
    expect(got[0].argv[2]).toBe(exact);
    expect(got[0].argv_truncated).toBe(false);
    expect(got[1].argv[2]).toBe('a'.repeat(127));
    expect(got[1].argv[3]).toBe('\\e]0;title\\a');
    expect(got[1].argv_truncated).toBe(true);
    expect(got[2].argv).toEqual(['/bin/true', tag, ...many.slice(0, 18)]);
    expect(got[2].argv_truncated).toBe(true);
    expect(JSON.stringify(got)).not.toContain('\x1b');
  });

  it('follows the pid filter in the kernel', async () => {
    probe = new ExecProbe();
    probe.start(feedConfig({ pid: 1 })); // init: our children are never pid 1
    const tag = unique();
    await run('/bin/echo', [tag]);
    await new Promise((r) => setTimeout(r, 200));
    expect(probe.sample().filter((e) => e.argv[1] === tag)).toEqual([]);
  });
});
