// The feeds' per-syscall tracepoints need tracefs (libbpf reads the tracepoint ids there).
// Each case runs a real exec probe (the built dist/) in a child inside a private mount
// namespace (unshare -m) where tracefs has been unmounted, so the host's mounts are untouched:
// the probe mounts tracefs itself, or, when it cannot (no `mount` on PATH), falls back to the
// tp_btf/sys_enter + sys_exit programs and still reports execs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noBpf } from '../helpers/bpf.js';
import { unique } from './helpers/feeds.js';

const EXEC_JS = fileURLToPath(new URL('../../dist/probes/exec.js', import.meta.url));

// Prints {before, after, hooks, progs, events, held}: tracefs events/ before and after start,
// the chosen hooks, program count, execs seen of our tag, and BPF fds left after stop.
const SCRIPT = `
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
const { ExecProbe } = await import(process.argv[1]);
const tag = process.argv[2];
const ev = () => existsSync('/sys/kernel/tracing/events');
const before = ev();
const p = new ExecProbe();
p.start({ pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: [0] });
const progs = p.progIds().length;
execFileSync('/bin/true', [tag]);
let events = 0;
for (let i = 0; i < 100 && events === 0; i++) {
  events += p.sample().filter((e) => e.argv[1] === tag).length;
  await new Promise((r) => setTimeout(r, 20));
}
p.stop();
const held = readdirSync('/proc/self/fd').filter((fd) => {
  try { return /bpf-prog|bpf_link|perf_event/.test(readlinkSync('/proc/self/fd/' + fd)); } catch { return false; }
}).length;
console.log(JSON.stringify({ before, after: ev(), hooks: p.syscallHooks, progs, events, held }));
`;

function inPrivateMountNs(path: string): { status: number | null; out: string; err: string } {
  // umount: only in the new namespace (--propagation private). A failing umount (not mounted)
  // is fine; the script checks that events/ is gone before the probe starts.
  const sh = `umount /sys/kernel/debug 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; PATH=${path} exec "$0" --input-type=module -e "$1" "$2" "$3"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', sh, process.execPath, SCRIPT, EXEC_JS, unique()], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(noBpf)('tracefs for the per-syscall tracepoints (real BPF, private mount namespace)', () => {
  it('is built', () => {
    expect(existsSync(EXEC_JS)).toBe(true);
  });

  it('mounts tracefs when it is missing and runs the exec feed on syscalls:sys_enter/exit_execve*', () => {
    const r = inPrivateMountNs('/usr/sbin:/usr/bin:/sbin:/bin');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      before: false,
      after: true,
      hooks: { hooks: 'tracepoint', reason: null },
      progs: 2,
      events: 1,
      held: 0,
    });
  });

  it('falls back to tp_btf/sys_enter + sys_exit when tracefs cannot be mounted, and says why', () => {
    const r = inPrivateMountNs('/nonexistent'); // no mount(8)
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(r.out);
    expect(got).toMatchObject({ before: false, after: false, hooks: { hooks: 'tp_btf' }, progs: 2, events: 1, held: 0 });
    expect(got.hooks.reason).toMatch(/^cannot run mount: /);
  });
});
