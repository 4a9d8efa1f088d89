import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { intervalToLine } from '../../src/catalogue/codec.js';
import { CATALOGUE, type Interval } from '../../src/catalogue/catalogue.js';
import { OpenProbe } from '../../src/probes/open.js';
import type { OpenEvent } from '../../src/probes/open-spec.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { feedConfig, ownCgroup, PYTHON, retryOnDrops, unique, waitFor } from './helpers/feeds.js';

/** Runs a python3 snippet; it prints one JSON object, returned with the child's pid. */
function py<T>(code: string, ...args: string[]): T & { pid: number } {
  const out = execFileSync(PYTHON, ['-c', `import os, json, sys\n${code}`, ...args], { encoding: 'utf8' });
  return JSON.parse(out) as T & { pid: number };
}

// Each case does its opens in a python3 child and prints the results it saw (fds, errnos).
const WRITE = `
p = sys.argv[1]
fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
os.close(fd)
try:
    os.open(sys.argv[2], os.O_RDONLY)
    err = 0
except OSError as e:
    err = e.errno
print(json.dumps({"pid": os.getpid(), "fd": fd, "err": err}))
`;

// open(2) and openat2(2) have no python wrapper: raw syscalls through ctypes (x86_64 numbers).
const RAW = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]
p = sys.argv[1].encode()
fd_open = libc.syscall(2, ctypes.c_char_p(p), ctypes.c_long(os.O_RDWR | os.O_CREAT | os.O_TRUNC), ctypes.c_long(0o600))
how = OpenHow(os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0, 0)
fd_at2 = libc.syscall(437, ctypes.c_long(-100), ctypes.c_char_p(p), ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
how_bad = OpenHow(os.O_RDONLY, 0, 0)
r = libc.syscall(437, ctypes.c_long(-100), ctypes.c_char_p(sys.argv[2].encode()), ctypes.byref(how_bad), ctypes.c_size_t(ctypes.sizeof(how_bad)))
err_at2 = ctypes.get_errno() if r < 0 else 0
print(json.dumps({"pid": os.getpid(), "fd_open": fd_open, "fd_at2": fd_at2, "err_at2": err_at2}))
`;

describe.skipIf(noBpf)('open probe (real BPF)', () => {
  let probe: OpenProbe | null = null;
  let dir = '';
  const drops = () => probe?.kernelDropsSinceStart() ?? 0;
  afterEach(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  // The per-syscall tracepoints (default) and the tp_btf fallback (no tracefs) report the same.
  for (const [hooks, progs] of [
    ['tracepoint', 3], // sys_exit_open, sys_exit_openat, sys_exit_openat2 (no enter programs)
    ['tp_btf', 1], // tp_btf sys_exit only
  ] as const) {
    it(`reports an open for writing with its flags and fd, and a missing path with ENOENT (${hooks})`, async () => {
      probe = new OpenProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      expect(probe.progIds().length).toBe(progs);
      dir = mkdtempSync(path.join(tmpdir(), 'perfscope-open-'));
      const { r, got, file, missing } = await retryOnDrops(
        drops,
        async () => {
          const file = path.join(dir, unique('w'));
          const missing = path.join(dir, unique('missing'));
          const r = py<{ fd: number; err: number }>(WRITE, file, missing);
          const mine = (all: OpenEvent[]) => all.filter((e) => e.path === file || e.path === missing);
          return {
            r,
            file,
            missing,
            got: mine(
              await waitFor(
                () => probe!.sample(),
                (a) => mine(a).length >= 2,
              ),
            ),
          };
        },
        (x) => x.got.length >= 2,
      );
      expect(r.fd).toBeGreaterThanOrEqual(0);
      expect(r.err).toBe(2);
      expect(got).toHaveLength(2);
      const [w, m] = got;
      expect(w).toEqual({
        ts: w.ts,
        pid: r.pid,
        tid: r.pid,
        uid: process.getuid!(),
        comm: 'python3',
        syscall: 'openat',
        path: file,
        flags: 0o2000101, // O_WRONLY|O_CREAT|O_CLOEXEC as the kernel got them
        flags_text: 'O_WRONLY|O_CREAT|O_CLOEXEC',
        fd: r.fd,
        errno: null,
        errno_name: null,
        cgroup: ownCgroup(),
      });
      expect(Object.keys(w)).toEqual(['ts', 'pid', 'tid', 'uid', 'comm', 'syscall', 'path', 'flags', 'flags_text', 'fd', 'errno', 'errno_name', 'cgroup']);
      expect(Math.abs(w.ts - Date.now())).toBeLessThan(5000);
      expect(m).toMatchObject({ pid: r.pid, syscall: 'openat', path: missing, flags_text: 'O_RDONLY|O_CLOEXEC', fd: null, errno: 2, errno_name: 'ENOENT' });
      expect(m.ts).toBeGreaterThanOrEqual(w.ts);
      expect(probe.cost().run_cnt).toBeGreaterThan(0); // (lost is system-wide here: other processes may storm)
    });

    it(`reports open(2) and openat2(2), successes and failures (${hooks})`, async () => {
      probe = new OpenProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      dir = mkdtempSync(path.join(tmpdir(), 'perfscope-open-'));
      const { r, got, file, missing } = await retryOnDrops(
        drops,
        async () => {
          const file = path.join(dir, unique('raw'));
          const missing = path.join(dir, unique('missing2'));
          const r = py<{ fd_open: number; fd_at2: number; err_at2: number }>(RAW, file, missing);
          const mine = (all: OpenEvent[]) => all.filter((e) => e.pid === r.pid && (e.path === file || e.path === missing));
          return {
            r,
            file,
            missing,
            got: mine(
              await waitFor(
                () => probe!.sample(),
                (a) => mine(a).length >= 3,
              ),
            ),
          };
        },
        (x) => x.got.length >= 3,
      );
      expect(r.fd_open).toBeGreaterThanOrEqual(0);
      expect(r.fd_at2).toBeGreaterThanOrEqual(0);
      expect(r.err_at2).toBe(2);
      expect(got.map((e) => [e.syscall, e.path, e.flags_text, e.fd, e.errno_name])).toEqual([
        ['open', file, 'O_RDWR|O_CREAT|O_TRUNC', r.fd_open, null],
        ['openat2', file, 'O_RDONLY|O_NOFOLLOW|O_CLOEXEC', r.fd_at2, null],
        ['openat2', missing, 'O_RDONLY', null, 'ENOENT'],
      ]);
      expect(got[2].errno).toBe(2);
    });
  }

  it('escapes a path and a comm that hold terminal escape sequences', async () => {
    probe = new OpenProbe();
    probe.start(feedConfig());
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-open-'));
    // The child renames itself (prctl PR_SET_NAME) to an escape sequence before the open.
    const code = `import ctypes\nctypes.CDLL(None).prctl(15, b"\\x1b[31mred", 0, 0, 0)\n${WRITE}`;
    const { r, got, tag } = await retryOnDrops(
      drops,
      async () => {
        const tag = unique('esc');
        const r = py<{ fd: number; err: number }>(code, path.join(dir, `${tag}\x1b]0;title\x07\x7f`), path.join(dir, 'nope'));
        const mine = (all: OpenEvent[]) => all.filter((e) => e.pid === r.pid && e.path.includes(tag));
        return {
          r,
          tag,
          got: mine(
            await waitFor(
              () => probe!.sample(),
              (a) => mine(a).length >= 1,
            ),
          ),
        };
      },
      (x) => x.got.length >= 1,
    );
    expect(r.fd).toBeGreaterThanOrEqual(0);
    expect(got).toHaveLength(1);
    const { path: p, comm } = got[0];
    expect(p).toBe(path.join(dir, `${tag}\\e]0;title\\a\\x7f`));
    expect(comm).toBe('\\e[31mred');
    for (const ch of p + comm) {
      const c = ch.codePointAt(0)!;
      expect(c >= 0x20 && c !== 0x7f).toBe(true);
    }
    // The --json line, as the CLI writes it.
    const snap = { time: new Date().toISOString(), interval_s: 1, pinned_cpu: null, probes: {}, data: { open: got } };
    const line = intervalToLine(CATALOGUE, snap as unknown as Interval);
    expect(line).not.toContain('\x1b');
    expect(line).not.toContain('\x7f');
    expect(line).not.toMatch(/\\u00(1b|7f)/i); // escaped before JSON: not even as JSON escapes
    const parsed = JSON.parse(line) as { open: OpenEvent[] };
    expect(parsed.open[0].path).toBe(p);
    expect(parsed.open[0].comm).toBe(comm);
  });

  it('follows the pid filter in the kernel', async () => {
    probe = new OpenProbe();
    probe.start(feedConfig({ pid: 1 })); // init: our children are never pid 1
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-open-'));
    const file = path.join(dir, unique('pf'));
    py(WRITE, file, path.join(dir, 'nope'));
    await new Promise((r) => setTimeout(r, 200));
    expect(probe.sample().filter((e) => e.path === file)).toEqual([]);
  });

  it('follows the comm filter (substring of the escaped comm)', async () => {
    probe = new OpenProbe();
    probe.start(feedConfig({ comm: 'ytho' }));
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-open-'));
    const { r, got } = await retryOnDrops(
      drops,
      async () => {
        const file = path.join(dir, unique('cf'));
        const r = py<{ fd: number }>(WRITE, file, path.join(dir, 'nope'));
        const hit = (all: OpenEvent[]) => all.filter((e) => e.path === file);
        return {
          r,
          got: hit(
            await waitFor(
              () => probe!.sample(),
              (a) => hit(a).length > 0,
            ),
          ),
        };
      },
      (x) => x.got.length > 0,
    );
    expect(got.map((e) => [e.pid, e.comm])).toEqual([[r.pid, 'python3']]);
    probe.stop();
    probe = new OpenProbe(); // the manager starts a fresh instance on every toggle
    probe.start(feedConfig({ comm: 'no-such-comm-xyz' }));
    const file2 = path.join(dir, unique('cf2'));
    py(WRITE, file2, path.join(dir, 'nope'));
    await new Promise((res) => setTimeout(res, 200));
    expect(probe.sample().filter((e) => e.path === file2)).toEqual([]);
    expect(probe.totals.received).toBe(0); // nothing of anyone passes a comm nobody has
  });
});
