// The symbolizer's parser process (build/perfscope-parser, native/parser/): it really runs
// unprivileged and confined (its /proc status), and crafted files (huge notes, a section count
// past the bound, garbage DWARF, a sparse huge .gnu_debuglink target) are refused or bounded:
// their frames come back module+offset or with their own names, never a stall, and a
// well-formed file still resolves afterwards. A parser that stops answering is killed at its
// request's time bound and started again; one killed between requests is started again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Symbolizer } from '../../src/stacks/symbolizer.js';
import { craftLibs, sections } from '../helpers/crafted-elf.js';

const SRC = fileURLToPath(new URL('./helpers/symt.c', import.meta.url));
const LIB_SRC = fileURLToPath(new URL('./helpers/symtlib.c', import.meta.url));

interface Prog {
  child: ChildProcess;
  pid: number;
  addr: Record<string, bigint>;
}
const children: ChildProcess[] = [];

/** symt.c with `libsym PATH SYM` for each library (SYM lib_fn unless given as PATH:SYM): it maps them and prints where SYM is. */
async function start(libs: string[]): Promise<Prog> {
  const args = libs.flatMap((l) => {
    const [file, sym = 'lib_fn'] = l.split(':');
    return ['libsym', file, sym];
  });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const addr: Record<string, bigint> = {};
  let i = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line === 'ready') break;
    const [k, v] = line.split(' ');
    addr[k === 'libsym' ? `lib${i++}` : k] = v === '(nil)' ? 0n : BigInt(v);
  }
  expect(addr.leaf_a).toBeDefined();
  return { child, pid: child.pid!, addr };
}

let dir = '';
let bin = '';
let lib = '';
const crafted = { notes: '', shnum: '', dwarf: '', debuglink: '' };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'perfscope-parser-'));
  bin = path.join(dir, 'symt');
  execFileSync('cc', ['-O0', '-g', '-Wall', '-o', bin, SRC, '-ldl']);
  lib = path.join(dir, 'libsymt.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O0', '-g', '-o', lib, LIB_SRC]);
  Object.assign(crafted, craftLibs(dir, lib, LIB_SRC));
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const addrs = (...a: bigint[]) => BigUint64Array.from(a);

/** /proc/PID/status as key -> value. */
function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const k = line.indexOf(':');
    if (k > 0) out[line.slice(0, k)] = line.slice(k + 1).trim();
  }
  return out;
}

describe('the parser process', () => {
  it('runs as nobody, without groups or capabilities, no_new_privs, under a seccomp filter, its descriptors only', async () => {
    const p = await start([lib]);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(s.user(h, addrs(p.addr.lib0))[0][0]).toMatchObject({ sym: 'lib_fn', module: lib, offset: 0 });
    const pid = s.stats().parser.pid;
    expect(pid).toBeGreaterThan(0);
    const st = status(pid);
    expect(st.Name).toBe('perfscope-parse');
    expect(st.PPid).toBe(String(process.pid));
    expect(st.Uid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(st.Gid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(st.Groups).toBe('');
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(BigInt(`0x${st[k]}`)).toBe(0n);
    expect(st.NoNewPrivs).toBe('1');
    expect(st.Seccomp).toBe('2');
    // Its limits, as it set them.
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
    expect(limits).toMatch(/Max address space\s+2147483648\s+2147483648\s+bytes/);
    expect(limits).toMatch(/Max cpu time\s+600\s+605\s+seconds/);
    expect(limits).toMatch(/Max open files\s+32\s+32\s+files/);
  });

  it('crafted files (huge notes, a million sections, garbage DWARF, a sparse exabyte debuglink target): bounded or refused, never a wrong name; a good file resolves after them', async () => {
    const p = await start([crafted.notes, crafted.shnum, crafted.dwarf, crafted.debuglink, lib]);
    const s = new Symbolizer({ debugDirs: [] });
    const h = s.snapshot(p.pid);
    const [notes, shnum, dwarf, dl, good] = [0, 1, 2, 3, 4].map((i) => s.user(h, addrs(p.addr[`lib${i}`]))[0]);
    // The oversized note is skipped (no build-id read), the rest of the file is fine.
    expect(notes[0]).toMatchObject({ sym: 'lib_fn', module: crafted.notes, offset: 0 });
    // Past the section bound: refused, module+offset.
    expect(shnum).toHaveLength(1);
    expect(shnum[0].sym).toBeNull();
    expect(shnum[0].module).toBe(crafted.shnum);
    // Garbage DWARF: the symbol table's name; whatever libdw makes of the rest stays in the parser.
    expect(dwarf[0]).toMatchObject({ sym: 'lib_fn', module: crafted.dwarf });
    // The debuglink target is larger than the CRC bound: not read (no timeout), .dynsym's name.
    expect(dl[0]).toMatchObject({ sym: 'lib_fn', module: crafted.debuglink, offset: 0 });
    expect(dl[0].file).toBeUndefined();
    expect(good[0]).toMatchObject({ sym: 'lib_fn', module: lib, offset: 0 });
    expect(good[0].file?.endsWith('symtlib.c')).toBe(true);
    const st = s.stats().parser;
    expect(st.timeouts).toBe(0);
    expect(st.refused).toBeGreaterThanOrEqual(1);
    // The program's own file, parsed after them all.
    expect(s.user(h, addrs(p.addr.leaf_a))[0][0]).toMatchObject({ sym: 'leaf_a', offset: 0 });
  });

  it('identity is the file, not its build-id and size: a same-size copy with an edited name never names the original, in either order', async () => {
    const copy = path.join(dir, 'libsymt-edited.so');
    const b = readFileSync(lib);
    // "lib_fn" in .strtab (the names .symtab gives, which the symbolizer prefers) becomes "lib_XX":
    // same size, same build-id; .dynsym keeps lib_fn, so that dlsym() still finds it.
    const strtab = sections(b).find((x) => x.name === '.strtab')!;
    const at = b.indexOf('lib_fn\0', strtab.off);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(strtab.off + strtab.size);
    b.write('lib_XX', at, 'latin1');
    writeFileSync(copy, b);
    expect(b.length).toBe(readFileSync(lib).length);
    for (const order of [
      [lib, copy],
      [copy, lib],
    ]) {
      const p = await start(order);
      const s = new Symbolizer();
      const h = s.snapshot(p.pid);
      const names = [0, 1].map((i) => s.user(h, addrs(p.addr[`lib${i}`]))[0][0]);
      const want = order.map((o) => (o === lib ? { sym: 'lib_fn', module: lib } : { sym: 'lib_XX', module: copy }));
      expect(names[0]).toMatchObject(want[0]);
      expect(names[1]).toMatchObject(want[1]);
    }
  });

  it('an exact copy (another inode, the same content) shares the table: its symbols are held once', async () => {
    const copy = path.join(dir, 'libsymt-copy.so');
    writeFileSync(copy, readFileSync(lib));
    const one = await start([lib]);
    const two = await start([lib, copy]);
    const s1 = new Symbolizer();
    const h1 = s1.snapshot(one.pid);
    // Each address as a leaf (one call each: in one call the later ones would be return addresses).
    expect([one.addr.leaf_a, one.addr.lib0].map((a) => s1.user(h1, addrs(a))[0][0].sym)).toEqual(['leaf_a', 'lib_fn']);
    const s2 = new Symbolizer();
    const h2 = s2.snapshot(two.pid);
    const got = [two.addr.leaf_a, two.addr.lib0, two.addr.lib1].map((a) => {
      const [f] = s2.user(h2, addrs(a))[0];
      return [f.sym, f.module];
    });
    expect(got).toEqual([
      ['leaf_a', bin],
      ['lib_fn', lib],
      ['lib_fn', copy],
    ]);
    expect(s2.stats().files).toBe(s1.stats().files + 1);
    expect(s2.stats().symbols).toBe(s1.stats().symbols);
  });

  it('a parser that stops answering is killed at the time bound and started again: that file module+offset, the next one named', async () => {
    const p = await start([lib]);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(s.user(h, addrs(p.addr.leaf_a))[0][0].sym).toBe('leaf_a');
    const first = s.stats().parser;
    process.kill(first.pid, 'SIGSTOP');
    // libsymt.so is asked for now: the stopped parser never answers.
    const [f] = s.user(h, addrs(p.addr.lib0))[0];
    expect(f).toMatchObject({ sym: null, module: lib });
    const after = s.stats().parser;
    expect(after.timeouts).toBe(first.timeouts + 1);
    expect(after.refused).toBe(first.refused + 1);
    // A later file: a new parser. (libc: nanosleep.)
    const [c] = s.user(h, addrs(p.addr.nanosleep))[0];
    expect(c.sym).toMatch(/nanosleep/);
    const again = s.stats().parser;
    expect(again.restarts).toBe(first.restarts + 1);
    expect(again.pid).not.toBe(first.pid);
  }, 60_000);

  it('a parser killed between requests is started again, the request it gets is answered', async () => {
    const p = await start([lib]);
    const s = new Symbolizer();
    const h = s.snapshot(p.pid);
    expect(s.user(h, addrs(p.addr.leaf_a))[0][0].sym).toBe('leaf_a');
    const first = s.stats().parser;
    process.kill(first.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.user(h, addrs(p.addr.lib0))[0][0]).toMatchObject({ sym: 'lib_fn', module: lib });
    const after = s.stats().parser;
    expect(after.crashes).toBe(first.crashes + 1);
    expect(after.restarts).toBe(first.restarts + 1);
    expect(after.refused).toBe(first.refused);
  });
});
