// The symbolizer against real programs built here (test/native/helpers/symt.c prints the
// addresses of its own functions, of a library it loads, of libc, of its vDSO and of JIT code it
// makes): PIE, non-PIE, stripped, stripped with a debug file found by build-id or
// .gnu_debuglink, inlined frames, a process that exited, a deleted binary, a binary only another
// mount namespace can see, a perf map, malformed files mapped executable, the parse budget,
// release; the kernel from /proc/kallsyms and from fixtures. No BPF needed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Symbolizer, type Frame } from '../../src/stacks/symbolizer.js';
import { ADDON_PATH } from '../../src/bpf/addon.js';

const SRC = fileURLToPath(new URL('./helpers/symt.c', import.meta.url));
const LIB_SRC = fileURLToPath(new URL('./helpers/symtlib.c', import.meta.url));
const isRoot = process.getuid?.() === 0;

/** The line of symt.c holding a marker comment. */
function lineOf(marker: string): number {
  const i = readFileSync(SRC, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(`/* ${marker} */`));
  expect(i).toBeGreaterThanOrEqual(0);
  return i + 1;
}

interface Prog {
  child: ChildProcess;
  pid: number;
  addr: Record<string, bigint>;
  exited: Promise<void>;
}

const children: ChildProcess[] = [];

/** Start a program and wait until it printed its addresses ("name 0xADDR" lines, then "ready"). */
async function start(cmd: string, args: string[] = []): Promise<Prog> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const addr: Record<string, bigint> = {};
  let ready = false;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line === 'ready') {
      ready = true;
      break;
    }
    const [k, v] = line.split(' ');
    addr[k] = v === '(nil)' ? 0n : BigInt(v);
  }
  expect(ready).toBe(true);
  return { child, pid: child.pid!, addr, exited };
}

/** File offset of a process address, from its maps (what a frame without a name reports). */
function fileOffset(pid: number, a: bigint): number {
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) /.exec(line);
    if (!m) continue;
    const [start, end, pgoff] = [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`), BigInt(`0x${m[3]}`)];
    if (a >= start && a < end) return Number(a - start + pgoff);
  }
  throw new Error(`no mapping holds 0x${a.toString(16)}`);
}

const hex = (a: bigint) => `0x${a.toString(16)}`;
const addrs = (...a: bigint[]) => BigUint64Array.from(a);
/** The frames of one address looked up as a leaf (index 0). */
const leaf = (s: Symbolizer, h: number, a: bigint): Frame[] => s.user(h, addrs(a))[0];

let dir = '';
const bins = { pie: '', nopie: '', o2: '', stripped: '', bid: '', dl: '', lib: '' };
let debugDir = '';
let emptyDir = '';
/** The build-id of bins.pie, which its stripped copies keep. */
let strippedId = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'perfscope-sym-'));
  const cc = (out: string, ...flags: string[]) => execFileSync('cc', [...flags, '-Wall', '-o', out, SRC, '-ldl']);
  bins.pie = path.join(dir, 'symt');
  cc(bins.pie, '-O0', '-g', '-fno-omit-frame-pointer');
  bins.nopie = path.join(dir, 'symt-nopie');
  cc(bins.nopie, '-O0', '-g', '-fno-omit-frame-pointer', '-no-pie');
  bins.o2 = path.join(dir, 'symt-o2');
  cc(bins.o2, '-O2', '-g');
  bins.stripped = path.join(dir, 'symt-stripped');
  execFileSync('strip', ['-o', bins.stripped, bins.pie]);
  // The debug file, found by build-id under a debug dir of our own...
  const debugFile = path.join(dir, 'symt.debug');
  execFileSync('objcopy', ['--only-keep-debug', bins.pie, debugFile]);
  const id = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', bins.pie], { encoding: 'utf8' }))![1];
  strippedId = id; // strip keeps the build-id note: a frame in the stripped copy carries it
  debugDir = path.join(dir, 'debug');
  mkdirSync(path.join(debugDir, '.build-id', id.slice(0, 2)), { recursive: true });
  copyFileSync(debugFile, path.join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`));
  bins.bid = path.join(dir, 'symt-bid');
  execFileSync('strip', ['-o', bins.bid, bins.pie]);
  // ...and by .gnu_debuglink, beside the binary.
  mkdirSync(path.join(dir, 'dl'));
  copyFileSync(debugFile, path.join(dir, 'dl', 'symt.debug'));
  bins.dl = path.join(dir, 'dl', 'symt-dl');
  execFileSync('strip', ['-o', bins.dl, bins.pie]);
  execFileSync('objcopy', [`--add-gnu-debuglink=${path.join(dir, 'dl', 'symt.debug')}`, bins.dl], { cwd: path.join(dir, 'dl') });
  emptyDir = path.join(dir, 'empty');
  mkdirSync(emptyDir);
  bins.lib = path.join(dir, 'libsymt.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O0', '-g', '-o', bins.lib, LIB_SRC]);
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.on('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('user space', () => {
  it('PIE -O0: functions by name at offset 0 with file:line; a return address resolves to its caller by the addr-1 rule', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    for (const name of ['leaf_a', 'mid_b', 'main']) {
      const [f, ...more] = leaf(s, h, p.addr[name]);
      expect(more).toEqual([]);
      expect(f).toMatchObject({ addr: hex(p.addr[name]), sym: name, module: bins.pie, offset: 0 });
      expect(f.file?.endsWith('/symt.c')).toBe(true);
    }
    expect(leaf(s, h, p.addr.leaf_a)[0].line).toBe(lineOf('LEAF_A'));
    // A stack: the leaf, then the return address into mid_b (reported as given, looked up at -1).
    const ret = p.addr.ret_mid_b;
    const [top, caller] = s.user(h, addrs(p.addr.leaf_a + 4n, ret));
    expect(top[0]).toMatchObject({ sym: 'leaf_a', offset: 4 });
    expect(caller[0]).toMatchObject({ addr: hex(ret), sym: 'mid_b', module: bins.pie, offset: Number(ret - p.addr.mid_b) });
    // In a return slot, leaf_a's first byte is looked up one byte before it: not leaf_a.
    const [, before] = s.user(h, addrs(p.addr.main, p.addr.leaf_a));
    expect(before[0].addr).toBe(hex(p.addr.leaf_a));
    expect(before[0].sym).not.toBe('leaf_a');
    s.release(h);
  });

  it('-no-pie: the same names at fixed addresses', async () => {
    const p = await start(bins.nopie);
    expect(p.addr.leaf_a).toBeLessThan(0x10000000n);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    for (const name of ['leaf_a', 'mid_b', 'main']) expect(leaf(s, h, p.addr[name])[0]).toMatchObject({ sym: name, module: bins.nopie, offset: 0 });
    expect(s.user(h, addrs(p.addr.leaf_a, p.addr.ret_mid_b))[1][0]).toMatchObject({ sym: 'mid_b' });
  });

  it("stripped: no name (never a neighbour's), the module and the file offset", async () => {
    const p = await start(bins.stripped);
    const s = new Symbolizer({ debugDirs: [emptyDir] });
    const h = s.snapshot(p.pid);
    for (const name of ['leaf_a', 'mid_b', 'main'])
      expect(leaf(s, h, p.addr[name])).toEqual([
        { addr: hex(p.addr[name]), sym: null, module: bins.stripped, offset: fileOffset(p.pid, p.addr[name]), buildId: strippedId },
      ]);
    const ret = p.addr.ret_mid_b;
    expect(s.user(h, addrs(p.addr.leaf_a, ret))[1][0]).toEqual({
      addr: hex(ret),
      sym: null,
      module: bins.stripped,
      offset: fileOffset(p.pid, ret),
      buildId: strippedId,
    });
  });

  it('a stripped copy and the file it was stripped from (one build-id: strip keeps it), both mapped, either snapshotted first: each resolves as itself', async () => {
    for (const strippedFirst of [true, false]) {
      const ps = await start(bins.stripped);
      const pp = await start(bins.pie);
      const s = new Symbolizer({ debugDirs: [emptyDir] });
      const handles = new Map((strippedFirst ? [ps, pp] : [pp, ps]).map((p) => [p, s.snapshot(p.pid)]));
      const hs = handles.get(ps)!;
      const hp = handles.get(pp)!;
      expect(leaf(s, hp, pp.addr.leaf_a)[0]).toMatchObject({ sym: 'leaf_a', module: bins.pie, offset: 0 });
      expect(leaf(s, hs, ps.addr.leaf_a)).toEqual([
        { addr: hex(ps.addr.leaf_a), sym: null, module: bins.stripped, offset: fileOffset(ps.pid, ps.addr.leaf_a), buildId: strippedId },
      ]);
      s.release(hs);
      s.release(hp);
    }
  });

  it('stripped, with its --only-keep-debug file under a debug dir by build-id: names again', async () => {
    const p = await start(bins.bid);
    const without = new Symbolizer({ debugDirs: [emptyDir] });
    expect(leaf(without, without.snapshot(p.pid), p.addr.mid_b)[0].sym).toBeNull();
    const s = new Symbolizer({ debugDirs: [debugDir] });
    const h = s.snapshot(p.pid);
    for (const name of ['leaf_a', 'mid_b', 'main'])
      expect(leaf(s, h, p.addr[name])[0]).toMatchObject({ sym: name, module: bins.bid, offset: 0, line: expect.any(Number) });
  });

  it('stripped, with .gnu_debuglink to a debug file beside it: names again', async () => {
    const p = await start(bins.dl);
    const s = new Symbolizer({ debugDirs: [emptyDir] });
    const h = s.snapshot(p.pid);
    expect(leaf(s, h, p.addr.leaf_a)[0]).toMatchObject({ sym: 'leaf_a', module: bins.dl, offset: 0, line: lineOf('LEAF_A') });
  });

  it('a function of a shared library the program loaded resolves with the .so as module', async () => {
    const p = await start(bins.pie, ['lib', bins.lib]);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(leaf(s, h, p.addr.lib_fn)).toEqual([expect.objectContaining({ sym: 'lib_fn', module: bins.lib, offset: 0 })]);
    expect(leaf(s, h, p.addr.lib_fn + 5n)[0]).toMatchObject({ sym: 'lib_fn', offset: 5 });
  });

  it("libc's nanosleep resolves to a libc symbol", async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const [f] = leaf(s, s.snapshot(p.pid), p.addr.nanosleep);
    expect(f.sym).toMatch(/nanosleep/);
    expect(f.module).toMatch(/\/libc\.so\.6$/);
    expect(f.offset).toBe(0);
  });

  it('-O2 always_inline: the return address inside the inlined function gives two frames, outer then inner', async () => {
    const p = await start(bins.o2);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    const [, frames] = s.user(h, addrs(p.addr.outer_fn, p.addr.ret_inner));
    expect(frames).toHaveLength(2);
    const offset = Number(p.addr.ret_inner - p.addr.outer_fn);
    expect(frames[0]).toMatchObject({ addr: hex(p.addr.ret_inner), sym: 'outer_fn', module: bins.o2, offset, line: lineOf('CALL_INNER') });
    expect(frames[0].inlined).toBeUndefined();
    expect(frames[1]).toMatchObject({ addr: hex(p.addr.ret_inner), sym: 'inner_inl', module: bins.o2, inlined: true, line: lineOf('CALL_PROBE') });
    expect(frames[1].file?.endsWith('/symt.c')).toBe(true);
  });

  it('a process that exited after snapshot() still resolves', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    p.child.kill('SIGKILL');
    await p.exited;
    expect(existsSync(`/proc/${p.pid}`)).toBe(false);
    expect(s.user(h, addrs(p.addr.leaf_a, p.addr.ret_mid_b)).map((f) => f[0].sym)).toEqual(['leaf_a', 'mid_b']);
  });

  it.skipIf(!isRoot)('a binary deleted after its start resolves through map_files (root)', async () => {
    mkdirSync(path.join(dir, 'del'), { recursive: true });
    const bin = path.join(dir, 'del', 'symt-del');
    copyFileSync(bins.pie, bin);
    const p = await start(bin);
    unlinkSync(bin);
    const s = new Symbolizer();
    const [f] = leaf(s, s.snapshot(p.pid), p.addr.mid_b);
    expect(f).toMatchObject({ sym: 'mid_b', module: `${bin} (deleted)`, offset: 0 });
  });

  it.skipIf(!isRoot)('a binary only another mount namespace can see resolves (root, unshare -m)', async () => {
    const mnt = mkdtempSync(path.join(dir, 'ns-'));
    const script = 'mount -t tmpfs tmpfs "$0" && cp "$1" "$0/symt-ns" && exec "$0/symt-ns"';
    const p = await start('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, mnt, bins.pie]);
    expect(existsSync(path.join(mnt, 'symt-ns'))).toBe(false);
    const s = new Symbolizer();
    const [f] = leaf(s, s.snapshot(p.pid), p.addr.leaf_a);
    expect(f).toMatchObject({ sym: 'leaf_a', module: path.join(mnt, 'symt-ns'), offset: 0 });
  });

  it('JIT code in an anonymous executable mapping, from the perf map it wrote', async () => {
    const p = await start(bins.pie, ['jit']);
    const map = `/tmp/perf-${p.pid}.map`;
    try {
      const s = new Symbolizer();
      const h = s.snapshot(p.pid);
      const [jit] = leaf(s, h, p.addr.jit);
      expect(jit).toEqual({ addr: hex(p.addr.jit), sym: 'jitted_fn', module: '[jit]', offset: 0x10 });
      // A name that is not UTF-8: each bad byte replaced, nothing thrown.
      expect(leaf(s, h, p.addr.jit_bad)[0]).toMatchObject({ sym: 'bad\uFFFD\uFFFDname', module: '[jit]', offset: 0 });
      // Rust's legacy mangling, demangled, without its hash.
      expect(leaf(s, h, p.addr.jit_rust)[0]).toMatchObject({ sym: 'core::fmt::write', module: '[jit]', offset: 8 });
      // Not in the map: the mapping, no name.
      expect(leaf(s, h, p.addr.jit_gap)[0]).toMatchObject({ sym: null, module: '[jit]', offset: 0x800 });
    } finally {
      rmSync(map, { force: true });
    }
  });

  it('the perf map is read again (at most once a second) while the process lives', async () => {
    const p = await start(bins.pie, ['jit']);
    const map = `/tmp/perf-${p.pid}.map`;
    try {
      const s = new Symbolizer();
      const h = s.snapshot(p.pid);
      const late = p.addr.jit_gap;
      expect(leaf(s, h, late)[0].sym).toBeNull();
      writeFileSync(map, `${late.toString(16)} 10 written_later\n`, { flag: 'a' });
      await new Promise((r) => setTimeout(r, 1100));
      expect(leaf(s, h, late)[0]).toMatchObject({ sym: 'written_later', module: '[jit]', offset: 0 });
    } finally {
      rmSync(map, { force: true });
    }
  });

  it('C++ names are demangled', async () => {
    const cxx = path.join(dir, 'cxx.cc');
    writeFileSync(cxx, 'namespace ns { int twice(int x) { return 2 * x; } }\n');
    const lib = path.join(dir, 'libcxx.so');
    execFileSync('g++', ['-shared', '-fPIC', '-O0', '-o', lib, cxx]);
    const p = await start(bins.pie, ['libsym', lib, '_ZN2ns5twiceEi']);
    const s = new Symbolizer();
    expect(leaf(s, s.snapshot(p.pid), p.addr.libsym)[0]).toMatchObject({ sym: 'ns::twice(int)', module: lib, offset: 0 });
  });

  it('a [vdso] address resolves to a vDSO symbol', async () => {
    const p = await start(bins.pie);
    expect(p.addr.vdso_cg).not.toBe(0n);
    const s = new Symbolizer();
    const [f] = leaf(s, s.snapshot(p.pid), p.addr.vdso_cg);
    expect(f.module).toBe('[vdso]');
    expect(f.sym).toMatch(/^(__vdso_)?clock_gettime$/);
    expect(f.offset).toBe(0);
  });

  it('malformed files mapped executable (random bytes, a truncated ELF, absurd header counts): module+offset, no crash', async () => {
    const rnd = path.join(dir, 'random.bin');
    writeFileSync(rnd, randomBytes(8192));
    const trunc = path.join(dir, 'truncated.elf');
    writeFileSync(trunc, readFileSync(bins.pie).subarray(0, 1500));
    const evil = path.join(dir, 'evil.elf');
    const hdr = Buffer.concat([readFileSync(bins.pie).subarray(0, 64), randomBytes(4096 - 64)]);
    hdr.writeBigUInt64LE(0x40n, 0x20); // e_phoff: into the random bytes
    hdr.writeBigUInt64LE(0x40n, 0x28); // e_shoff
    hdr.writeUInt16LE(0xffff, 0x38); // e_phnum
    hdr.writeUInt16LE(0xffff, 0x3c); // e_shnum
    hdr.writeUInt16LE(0xfffe, 0x3e); // e_shstrndx
    writeFileSync(evil, hdr);
    const p = await start(bins.pie, ['blob', rnd, 'blob', trunc, 'blob', evil]);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    const files = [rnd, trunc, evil];
    for (let i = 0; i < files.length; i++) {
      const a = p.addr[`blob${i}`] + 0x10n;
      expect(leaf(s, h, a)).toEqual([{ addr: hex(a), sym: null, module: files[i], offset: 0x10 }]);
    }
    expect(leaf(s, h, p.addr.leaf_a)[0].sym).toBe('leaf_a');
  });

  it('an address no mapping holds is [unknown]', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    expect(s.user(s.snapshot(p.pid), addrs(0x10n, 0n))).toEqual([
      [{ addr: '0x10', sym: null, module: '[unknown]', offset: 0 }],
      [{ addr: '0x0', sym: null, module: '[unknown]', offset: 0 }],
    ]);
  });

  it('budgetMs 0 on a fresh handle: pending frames with module and offset; the next call resolves them', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(s.user(h, addrs(p.addr.leaf_a), { budgetMs: 0 })).toEqual([
      [{ addr: hex(p.addr.leaf_a), sym: null, module: bins.pie, offset: fileOffset(p.pid, p.addr.leaf_a), pending: true }],
    ]);
    const [f] = s.user(h, addrs(p.addr.leaf_a))[0];
    expect(f).toMatchObject({ sym: 'leaf_a', offset: 0 });
    expect(f.pending).toBeUndefined();
    // Parsed now: a zero budget no longer holds it back.
    expect(s.user(h, addrs(p.addr.mid_b), { budgetMs: 0 })[0][0]).toMatchObject({ sym: 'mid_b' });
  });

  it('with a budget, a file not parsed yet is parsed in the background: pending at once, named after whenIdle()', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(s.idle()).toBe(true); // nothing asked for yet
    expect(s.user(h, addrs(p.addr.leaf_a), { budgetMs: 50 })).toEqual([
      [{ addr: hex(p.addr.leaf_a), sym: null, module: bins.pie, offset: fileOffset(p.pid, p.addr.leaf_a), pending: true }],
    ]);
    await s.whenIdle();
    expect(s.idle()).toBe(true);
    const [f] = s.user(h, addrs(p.addr.leaf_a), { budgetMs: 50 })[0];
    expect(f).toMatchObject({ sym: 'leaf_a', offset: 0, line: lineOf('LEAF_A') });
    expect(f.pending).toBeUndefined();
    // libc, never asked for, was not parsed: only the file that was.
    const [c] = s.user(h, addrs(p.addr.nanosleep), { budgetMs: 50 })[0];
    expect(c).toMatchObject({ sym: null, module: expect.stringMatching(/\/libc\.so\.6$/), pending: true });
    await s.whenIdle();
    expect(s.user(h, addrs(p.addr.nanosleep), { budgetMs: 50 })[0][0].sym).toMatch(/nanosleep/);
  });

  it('snapshot(pid, { prefetch: true }) parses its files in the background before they are asked for', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid, { prefetch: true });
    await s.whenIdle();
    // Budget 0: nothing waited for, the DWARF walk left for later, but the symbol is there.
    const [[f], [c]] = s.user(h, addrs(p.addr.leaf_a, p.addr.nanosleep + 1n), { budgetMs: 0 });
    expect(f).toMatchObject({ sym: 'leaf_a', offset: 0 });
    expect(c.sym).toMatch(/nanosleep/);
  });

  it('release() while its files are being parsed: no crash, their results dropped, their files freed', async () => {
    const p = await start(bins.pie);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid, { prefetch: true });
    expect(s.user(h, addrs(p.addr.leaf_a), { budgetMs: 0 })[0][0].pending).toBe(true);
    expect(s.stats().files).toBeGreaterThan(0);
    expect(s.release(h)).toBe(true);
    await s.whenIdle();
    expect(s.stats()).toMatchObject({ handles: 0, files: 0, symbols: 0 });
    // The engine goes on: a new snapshot of the same process parses again.
    const h2 = s.snapshot(p.pid);
    expect(leaf(s, h2, p.addr.mid_b)[0].sym).toBe('mid_b');
  });

  it('a process that exits (process.exit, or its Symbolizer collected) while parses are in flight exits cleanly', () => {
    const script = (mode: string) => `
      const { Symbolizer } = require(${JSON.stringify(ADDON_PATH)});
      let s = new Symbolizer();
      s.prefetchKernel();
      s.snapshot(process.pid, { prefetch: true });
      if (${JSON.stringify(mode)} === 'exit') process.exit(3);
      s = null;
      globalThis.gc();
      setTimeout(() => process.stdout.write('done'), 20);`;
    const exit = spawnSync(process.execPath, ['-e', script('exit')], { encoding: 'utf8', timeout: 20_000 });
    expect([exit.status, exit.signal, exit.stderr]).toEqual([3, null, '']);
    const gc = spawnSync(process.execPath, ['--expose-gc', '-e', script('gc')], { encoding: 'utf8', timeout: 20_000 });
    expect([gc.status, gc.signal, gc.stderr, gc.stdout]).toEqual([0, null, '', 'done']);
  });

  it('files are shared between handles; release() frees what no handle maps', async () => {
    const [p1, p2] = [await start(bins.pie), await start(bins.pie)];
    const s = new Symbolizer();
    const h1 = s.snapshot(p1.pid);
    const one = s.stats();
    const h2 = s.snapshot(p2.pid);
    expect(s.stats()).toMatchObject({ handles: 2, files: one.files });
    expect(leaf(s, h1, p1.addr.leaf_a)[0].sym).toBe('leaf_a');
    expect(leaf(s, h2, p2.addr.leaf_a)[0].sym).toBe('leaf_a');
    const used = s.stats();
    expect(used.symbols).toBeGreaterThan(0);
    expect(used.bytes).toBeGreaterThan(one.bytes);
    expect(s.release(h1)).toBe(true);
    expect(s.stats()).toMatchObject({ handles: 1, files: one.files, symbols: used.symbols });
    expect(leaf(s, h2, p2.addr.mid_b)[0].sym).toBe('mid_b');
    expect(s.release(h2)).toBe(true);
    const none = s.stats();
    expect(none).toMatchObject({ handles: 0, files: 0, symbols: 0 });
    expect(none.bytes).toBeLessThan(one.bytes);
    expect(s.release(h2)).toBe(false);
    expect(() => s.user(h2, addrs(p2.addr.leaf_a))).toThrow(/handle/);
  });

  it('snapshot() of a process that does not exist throws ESRCH', async () => {
    const child = spawn('true');
    await new Promise((r) => child.on('exit', r));
    const s = new Symbolizer();
    expect(() => s.snapshot(child.pid!)).toThrow(expect.objectContaining({ code: 'ESRCH', message: expect.stringMatching(/^[^\n]+$/) }));
  });
});

describe('kernel', () => {
  const kallsyms = readFileSync('/proc/kallsyms', 'utf8');
  const sched = /^([0-9a-f]+) T schedule$/m.exec(kallsyms);
  const schedAddr = sched ? BigInt(`0x${sched[1]}`) : 0n;

  it.skipIf(schedAddr === 0n)('from /proc/kallsyms: schedule + 1 is schedule, offset 1; in a return slot too', () => {
    const s = new Symbolizer();
    expect(s.kernel(addrs(schedAddr + 1n))).toEqual([{ addr: hex(schedAddr + 1n), sym: 'schedule', module: '[kernel]', offset: 1 }]);
    const [, ret, start] = s.kernel(addrs(0n, schedAddr + 1n, schedAddr));
    expect(ret).toMatchObject({ sym: 'schedule', offset: 1 });
    expect(start.sym).not.toBe('schedule');
    expect(s.stats().symbols).toBeGreaterThan(1000);
  });

  it.skipIf(schedAddr === 0n)('with a budget, the first kernel() returns at once, pending, while kallsyms loads in the background; then schedule', async () => {
    const s = new Symbolizer();
    expect(s.kernel(addrs(schedAddr + 1n), { budgetMs: 0 })).toEqual([{ addr: hex(schedAddr + 1n), sym: null, module: '[unknown]', offset: 0, pending: true }]);
    await s.whenIdle();
    expect(s.kernel(addrs(schedAddr + 1n), { budgetMs: 0 })).toEqual([{ addr: hex(schedAddr + 1n), sym: 'schedule', module: '[kernel]', offset: 1 }]);
    // prefetchKernel() ahead of the first call: loaded before it is asked.
    const t = new Symbolizer();
    t.prefetchKernel();
    await t.whenIdle();
    expect(t.kernel(addrs(schedAddr), { budgetMs: 0 })[0]).toMatchObject({ sym: 'schedule', offset: 0 });
  });

  it('from a fixture: module symbols carry [module]; past _etext, above the last symbol and below the first are [unknown]', () => {
    const f = path.join(dir, 'kallsyms');
    writeFileSync(
      f,
      [
        'ffffffff81000000 T _stext',
        'ffffffff81000000 T startup_64',
        'ffffffff81000100 t foo_local',
        'ffffffff81000200 T bar',
        'ffffffff81000300 D some_data',
        'ffffffff81002000 T _etext',
        'ffffffffc0000000 t modfn\t[mymod]',
        'ffffffffc0000100 T modfn2\t[mymod]',
        '',
      ].join('\n'),
    );
    const s = new Symbolizer({ kallsyms: f });
    const one = (a: bigint) => {
      const [x] = s.kernel(addrs(a));
      return [x.sym, x.module, x.offset];
    };
    expect(one(0xffffffff81000105n)).toEqual(['foo_local', '[kernel]', 5]);
    expect(one(0xffffffff81001000n)).toEqual(['bar', '[kernel]', 0xe00]); // data symbols are no boundary
    expect(one(0xffffffff81002010n)).toEqual([null, '[unknown]', 0]); // past _etext
    expect(one(0xffffffffc0000020n)).toEqual(['modfn', '[mymod]', 0x20]);
    expect(one(0xffffffffc0000100n)).toEqual(['modfn2', '[mymod]', 0]);
    expect(one(0xffffffffc0000110n)).toEqual([null, '[unknown]', 0]); // above the last symbol
    expect(one(0x1000n)).toEqual([null, '[unknown]', 0]);
    // A return address at modfn2's first byte belongs to the function before it.
    expect(s.kernel(addrs(0n, 0xffffffffc0000100n))[1]).toEqual({ addr: '0xffffffffc0000100', sym: 'modfn', module: '[mymod]', offset: 0x100 });
  });

  it('a kptr_restrict kallsyms (every address 0) gives [unknown]', () => {
    const f = path.join(dir, 'kallsyms-restricted');
    writeFileSync(f, '0000000000000000 T _stext\n0000000000000000 T schedule\n0000000000000000 t modfn\t[mymod]\n');
    const s = new Symbolizer({ kallsyms: f });
    expect(s.kernel(addrs(0xffffffff81000105n, 0n))).toEqual([
      { addr: '0xffffffff81000105', sym: null, module: '[unknown]', offset: 0 },
      { addr: '0x0', sym: null, module: '[unknown]', offset: 0 },
    ]);
  });
});
