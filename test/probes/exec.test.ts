import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ExecProbe, type ExecEvent } from '../../src/probes/exec.js';
import { heldProgramIds, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { feedConfig, unique, waitFor } from './helpers/feeds.js';

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
    const ids = probe?.progIds() ?? [];
    probe?.stop();
    probe = null;
    expect(heldProgramIds()).toEqual([]);
    expect(await waitUnloaded(ids)).toEqual([]);
  });

  it('reports a successful exec once, with argv, ppid and ret 0', async () => {
    probe = new ExecProbe();
    probe.start(feedConfig());
    expect(probe.progIds().length).toBe(2); // tp_btf sys_enter + sys_exit
    const tag = unique();
    const r = await run('/bin/echo', [tag, 'x', 'y']);
    expect(r.code).toBe(0);
    const mine = (all: ExecEvent[]) => all.filter((e) => e.argv[1] === tag);
    const got = mine(await waitFor(() => probe!.sample(), (a) => mine(a).length > 0));
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

  it('reports a failed exec with ret -2 ENOENT', async () => {
    probe = new ExecProbe();
    probe.start(feedConfig());
    const missing = `/nonexistent/${unique()}`;
    const r = await run(missing, ['a']);
    expect(r.error?.code).toBe('ENOENT');
    const mine = (all: ExecEvent[]) => all.filter((e) => e.filename === missing);
    const got = mine(await waitFor(() => probe!.drain(), (a) => mine(a).length > 0));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ ppid: process.pid, ret: -2, ret_name: 'ENOENT', argv: [missing, 'a'] });
  });

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
    const got = mine(await waitFor(() => probe!.sample(), (a) => mine(a).length >= 3));
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
