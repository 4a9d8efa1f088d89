// The feeds' per-syscall tracepoints need tracefs (libbpf reads the tracepoint ids there).
// Each case runs a real exec probe (the built dist/) in a child inside a private mount
// namespace (unshare -m) where tracefs has been unmounted, so the host's mounts are untouched:
// the probe mounts tracefs itself, or, when it cannot (no `mount` on PATH), falls back to the
// tp_btf/sys_enter + sys_exit programs and still reports execs. The same for the async
// ensureTracefsAsync / chooseSyscallHooksAsync, also with a mount(8) that fails or hangs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject, bpfObjectPath } from '../../src/bpf/object.js';
import { chooseSyscallHooksAsync, ensureTracefs, ensureTracefsAsync } from '../../src/probes/tracefs.js';
import { heldProgramIds, noBpf } from '../helpers/bpf.js';
import { unique } from './helpers/feeds.js';

const EXEC_JS = fileURLToPath(new URL('../../dist/probes/exec.js', import.meta.url));
const TRACEFS_JS = fileURLToPath(new URL('../../dist/probes/tracefs.js', import.meta.url));
const BPF_JS = fileURLToPath(new URL('../../dist/bpf/object.js', import.meta.url));

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

// The async path: ensureTracefsAsync, then (unless 'async-only') the sync ensureTracefs, then
// an exec object through chooseSyscallHooksAsync and loadAsync. Prints {before, async, after,
// sync, hooks, progs, held}: the reasons, the autoloaded programs, BPF fds left after close.
const ASYNC_SCRIPT = `
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
const { ensureTracefs, ensureTracefsAsync, chooseSyscallHooksAsync } = await import(process.argv[1]);
const { BpfObject, bpfObjectPath } = await import(process.argv[2]);
const ev = () => existsSync('/sys/kernel/tracing/events');
const before = ev();
const asyncReason = await ensureTracefsAsync();
const after = ev();
if (process.argv[3] === 'async-only') {
  console.log(JSON.stringify({ before, async: asyncReason, after }));
  process.exit(0);
}
const syncReason = ensureTracefs();
const obj = BpfObject.open(bpfObjectPath('exec'));
const hooks = await chooseSyscallHooksAsync(obj);
const progs = obj.programNames();
await obj.loadAsync();
obj.attachAll();
obj.close();
const held = readdirSync('/proc/self/fd').filter((fd) => {
  try { return /bpf-prog|bpf_link|perf_event/.test(readlinkSync('/proc/self/fd/' + fd)); } catch { return false; }
}).length;
console.log(JSON.stringify({ before, async: asyncReason, after, sync: syncReason, hooks, progs, held }));
`;

function inPrivateMountNs(path: string, script = SCRIPT, args = [EXEC_JS, unique()]): { status: number | null; out: string; err: string } {
  // umount: only in the new namespace (--propagation private). A failing umount (not mounted)
  // is fine; the script checks that events/ is gone before the probe starts.
  const sh = `umount /sys/kernel/debug 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; PATH=${path} exec "$0" --input-type=module -e "$@"`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', sh, process.execPath, script, ...args], {
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
      progs: 1,
      events: 1,
      held: 0,
    });
  });

  it('falls back to tp_btf/sys_enter + sys_exit when tracefs cannot be mounted, and says why', () => {
    const r = inPrivateMountNs('/nonexistent'); // no mount(8)
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(r.out);
    expect(got).toMatchObject({ before: false, after: false, hooks: { hooks: 'tp_btf' }, progs: 1, events: 1, held: 0 });
    expect(got.hooks.reason).toMatch(/^cannot run mount: /);
  });
});

/** A directory holding a fake mount(8) with this body (for PATH). */
function fakeMount(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-mount-'));
  writeFileSync(path.join(dir, 'mount'), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(dir, 'mount'), 0o755);
  return dir;
}

describe.skipIf(noBpf)('tracefs, asynchronously (ensureTracefsAsync, chooseSyscallHooksAsync)', () => {
  const TRACEPOINTS = ['ps_exec_exit'];
  const RAW = ['ps_exec_raw_exit'];
  const asyncRun = (pathEnv: string, mode = 'full') => {
    const r = inPrivateMountNs(pathEnv, ASYNC_SCRIPT, [TRACEFS_JS, BPF_JS, mode]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.out);
  };

  it('is built', () => {
    expect(existsSync(TRACEFS_JS) && existsSync(BPF_JS)).toBe(true);
  });

  it('resolves null when tracefs is mounted, and keeps the tracepoints (or tp_btf when asked)', async () => {
    expect(ensureTracefs()).toBeNull(); // mounted here if it was not
    expect(await ensureTracefsAsync()).toBeNull();
    const obj = BpfObject.open(bpfObjectPath('exec'));
    try {
      expect(await chooseSyscallHooksAsync(obj)).toEqual({ hooks: 'tracepoint', reason: null });
      expect(obj.programNames().sort()).toEqual(TRACEPOINTS);
      expect(await chooseSyscallHooksAsync(obj, 'tp_btf')).toEqual({ hooks: 'tp_btf', reason: 'tp_btf asked for' });
      expect(obj.programNames().sort()).toEqual(RAW);
    } finally {
      obj.close();
    }
    const selftest = BpfObject.open(bpfObjectPath('selftest'));
    try {
      expect(await chooseSyscallHooksAsync(selftest)).toBeNull(); // no syscall tracepoints
    } finally {
      selftest.close();
    }
    expect(heldProgramIds()).toEqual([]);
  });

  it('mounts tracefs when it is missing; the exec object then loads and attaches its tracepoints', () => {
    expect(asyncRun('/usr/sbin:/usr/bin:/sbin:/bin')).toEqual({
      before: false,
      async: null,
      after: true,
      sync: null,
      hooks: { hooks: 'tracepoint', reason: null },
      progs: TRACEPOINTS,
      held: 0,
    });
  });

  it('falls back to tp_btf when mount(8) cannot run, with the reason ensureTracefs gives', () => {
    const got = asyncRun('/nonexistent');
    expect(got).toMatchObject({ before: false, after: false, hooks: { hooks: 'tp_btf' }, progs: RAW, held: 0 });
    expect(got.async).toBe('cannot run mount: spawn mount ENOENT');
    expect(got.sync).toBe('cannot run mount: spawnSync mount ENOENT');
    expect(got.hooks.reason).toBe(got.async);
  });

  it('reports a failing mount(8) as ensureTracefs does: its first line of stderr', () => {
    const dir = fakeMount('echo "mount: /sys/kernel/tracing: permission denied." >&2; echo second line >&2; exit 32');
    try {
      const got = asyncRun(`${dir}:/usr/bin:/bin`);
      const why = 'mount -t tracefs nodev /sys/kernel/tracing failed: mount: /sys/kernel/tracing: permission denied.';
      expect(got).toMatchObject({ before: false, async: why, after: false, sync: why, hooks: { hooks: 'tp_btf', reason: why }, progs: RAW, held: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a mount(8) that hangs (after the same 5 s timeout)', () => {
    const dir = fakeMount('exec sleep 60');
    try {
      expect(asyncRun(`${dir}:/usr/bin:/bin`, 'async-only')).toEqual({
        before: false,
        async: 'cannot run mount: spawn mount ETIMEDOUT',
        after: false,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
