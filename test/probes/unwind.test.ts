// User stacks by call-frame information against the real kernel: a program built the way
// distributions build (gcc -O2, no frame pointers anywhere, .eh_frame present) spins in
// main -> mid_b -> leaf_a and sleeps in main -> sleeper_fn -> nanosleep() through Debian's libc
// (no frame pointers either). The kernel copies the registers and the top of the user stack;
// perfscope unwinds them with the modules' CFI (bpf/stacks.h, native/symbolize.cc Unwind). A
// copy of a frame-pointer build whose .eh_frame_hdr is corrupt falls back to frame pointers and
// says so on each frame.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProfileProbe } from '../../src/probes/profile.js';
import { OffcpuProbe } from '../../src/probes/offcpu.js';
import type { ProfileRow, ProfileSample } from '../../src/probes/profile-spec.js';
import { symbolizerIdle } from '../../src/stacks/resolve.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { config, sleep, startWork, userNames, type Work } from './helpers/stacks.js';

const SRC = fileURLToPath(new URL('./helpers/unwindwork.c', import.meta.url));
const FP_SRC = fileURLToPath(new URL('./helpers/stackwork.c', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));

/** The file offset of a section (readelf -S -W). */
function sectionOffset(file: string, name: string): number {
  const out = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes(` ${name} `));
  if (!line) throw new Error(`${file}: no ${name}`);
  const f = line
    .slice(line.indexOf(name) + name.length)
    .trim()
    .split(/\s+/);
  return parseInt(f[2], 16); // Type Address Off
}

function rowsOf(samples: ProfileSample[], tgid: number): ProfileRow[] {
  return samples.flatMap((s) => s.stacks.filter((r) => r.tgid === tgid)).sort((a, b) => b.count - a.count);
}

describe.skipIf(noBpf)('user stacks unwound by CFI (real BPF)', () => {
  let dir: string;
  let bin: string;
  let corrupt: string;
  let debugFrame: string;
  let mixedFrame: string;
  let probe: ProfileProbe | OffcpuProbe | null = null;
  let work: Work | null = null;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-unwind-'));
    bin = path.join(dir, 'unwindwork');
    execFileSync('gcc', ['-O2', '-fomit-frame-pointer', '-Wall', '-Werror', '-o', bin, SRC]);
    // Built as distributions build: no frame pointer in any of its functions, and CFI.
    const dis = execFileSync('objdump', ['-d', '--no-show-raw-insn', bin], { encoding: 'utf8' });
    for (const fn of ['leaf_a', 'mid_b', 'sleeper_fn', 'main']) {
      const body = dis.slice(dis.indexOf(`<${fn}>:`), dis.indexOf('\n\n', dis.indexOf(`<${fn}>:`)));
      expect(body, fn).not.toMatch(/mov\s+%rsp,%rbp/); // no frame set up
    }
    expect(sectionOffset(bin, '.eh_frame')).toBeGreaterThan(0);
    // CFI in .debug_frame only: built without unwind tables, with -g; the .eh_frame gcc still
    // links in (crt1.o's, for _start) and its header stripped, so none is left.
    debugFrame = path.join(dir, 'dfwork');
    const withEh = `${debugFrame}.eh`;
    execFileSync('gcc', ['-O2', '-fomit-frame-pointer', '-fno-asynchronous-unwind-tables', '-fno-unwind-tables', '-g', '-Wall', '-Werror', '-o', withEh, SRC]);
    execFileSync('objcopy', ['--remove-section', '.eh_frame', '--remove-section', '.eh_frame_hdr', withEh, debugFrame]);
    mixedFrame = withEh; // as gcc links it: .eh_frame for _start only, the program's own functions in .debug_frame
    const sections = execFileSync('readelf', ['-S', '-W', debugFrame], { encoding: 'utf8' });
    expect(sections).not.toMatch(/\.eh_frame/);
    expect(sections).toMatch(/ \.debug_frame /);
    // A frame-pointer build whose CFI table cannot be read (.eh_frame_hdr's version byte).
    corrupt = path.join(dir, 'fpcorrupt');
    execFileSync('cc', ['-O0', '-fno-omit-frame-pointer', '-Wall', '-Werror', '-o', corrupt, FP_SRC]);
    const fd = openSync(corrupt, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, sectionOffset(corrupt, '.eh_frame_hdr'));
    closeSync(fd);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    if (work && work.child.exitCode === null) work.child.kill('SIGKILL');
    work = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('profile, gcc -O2 without frame pointers: the hottest stack is main;mid_b;leaf_a, each caller found by CFI', async () => {
    work = await startWork(bin, ['burn', '2.5'], 1);
    const pid = work.child.pid!;
    const p = new ProfileProbe();
    probe = p;
    await p.startAsync(config({ pid }));
    p.sample();
    work.go();
    await sleep(300);
    await symbolizerIdle(); // its files (and their CFI) parsed since it was announced
    expect(await work.exited).toBe(0);
    const s = p.sample();
    const rows = rowsOf([s], pid);
    expect(s.samples).toBeGreaterThan(0);
    expect(rows.reduce((a, r) => a + r.count, 0) + s.lost + s.other).toBe(s.samples);
    expect(s.unwound).toBeGreaterThan(0);
    const hottest = rows[0];
    const names = userNames(hottest);
    expect(names.slice(-3)).toEqual(['main', 'mid_b', 'leaf_a']);
    // Down to the process's start, through libc: _start ... __libc_start_call_main;main
    expect(names[0]).toBe('_start');
    const user = hottest.frames.slice(0, hottest.user_frames);
    expect(user[user.length - 1].via).toBe('regs');
    for (const f of user.slice(0, -1)) expect(f.via, f.sym ?? f.module).toBe('cfi');
    // Each user frame carries its file's build-id (--json key build_id), the test program's as readelf -n shows it.
    const noted = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', bin], { encoding: 'utf8' }))?.[1];
    const ours = user.filter((f) => f.module === bin);
    expect(ours.map((f) => f.sym)).toEqual(expect.arrayContaining(['main', 'mid_b', 'leaf_a']));
    for (const f of ours) expect(f.build_id, f.sym ?? '').toBe(noted);
  });

  it('off-CPU, through Debian libc without frame pointers: main;sleeper_fn;...nanosleep...', async () => {
    work = await startWork(bin, ['sleep', '200']);
    const pid = work.child.pid!;
    const p = new OffcpuProbe();
    probe = p;
    await p.startAsync(config({ pid, options: { 'offcpu-stacks': true } }));
    work.go();
    await sleep(300);
    p.sample();
    await sleep(1000);
    await symbolizerIdle();
    const st = p.sample().stacks;
    expect(st).toBeTruthy();
    const rows = st!.rows.filter((r) => r.tgid === pid).sort((a, b) => b.total_us - a.total_us);
    expect(rows.length).toBeGreaterThan(0);
    const names = userNames(rows[0]).map((n) => n ?? '?');
    const main = names.indexOf('main');
    expect(main).toBeGreaterThanOrEqual(0);
    expect(names[main + 1]).toBe('sleeper_fn');
    expect(names.slice(main + 2).some((n) => /nanosleep/.test(n))).toBe(true);
    expect(names.slice(main + 2).every((n) => /nanosleep/.test(n))).toBe(true);
    expect(st!.unwound).toBeGreaterThan(0);
  });

  it('perfscope --folded carries the same stack', async () => {
    work = await startWork(bin, ['burn', '4']);
    const run = promisify(execFile)('node', [BIN, '--folded', '-d', '3', '-p', String(work.child.pid)], { timeout: 30_000 });
    await sleep(500);
    work.go();
    const { stdout } = await run;
    const lines = stdout.split('\n').filter((l) => l.startsWith('unwindwork;'));
    expect(lines.length).toBeGreaterThan(0);
    const hottest = lines.map((l) => ({ frames: l.slice(0, l.lastIndexOf(' ')), n: Number(l.slice(l.lastIndexOf(' ') + 1)) })).sort((a, b) => b.n - a.n)[0];
    expect(hottest.frames).toMatch(/^unwindwork;_start;.*;main;mid_b;leaf_a$/);
  });

  it('perfscope --pprof writes a gzipped profile.proto with the same stack; go tool pprof -top lists leaf_a', async () => {
    work = await startWork(bin, ['burn', '4']);
    const file = path.join(dir, 'cpu.pb.gz');
    const run = promisify(execFile)('node', [BIN, '--pprof', file, '-d', '3', '-p', String(work.child.pid)], { timeout: 30_000 });
    await sleep(500);
    work.go();
    await run;
    // Decoded here: the samples' stacks, leaf first, as locations and functions.
    const prof = Profile.decode(gunzipSync(readFileSync(file)));
    const strings = prof.stringTable.strings;
    const fnName = new Map(prof.function.map((f) => [Number(f.id), strings[Number(f.name)]]));
    const locFns = new Map(prof.location.map((l) => [Number(l.id), l.line.map((ln) => fnName.get(Number(ln.functionId)))]));
    expect(prof.sampleType.map((t) => strings[Number(t.type)])).toEqual(['samples', 'cpu']);
    const heaviest = [...prof.sample].sort((a, b) => Number(b.value[0]) - Number(a.value[0]))[0];
    const names = heaviest.locationId.map((id) => locFns.get(Number(id))![0]).reverse(); // root first
    expect(names.slice(-3)).toEqual(['main', 'mid_b', 'leaf_a']);
    expect(names[0]).toBe('_start');
    expect(Number(heaviest.value[1])).toBe(Number(heaviest.value[0]) * Number(prof.period));
    // The test program's mapping carries the build-id its ELF note holds (readelf -n), and its
    // locations are in that mapping.
    const noted = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', bin], { encoding: 'utf8' }))?.[1];
    expect(noted).toMatch(/^[0-9a-f]{40}$/); // gcc's default --build-id (sha1)
    const ours = prof.mapping.filter((m) => strings[Number(m.filename)] === bin);
    expect(ours.map((m) => strings[Number(m.buildId)])).toEqual([noted]);
    const leafLoc = prof.location.find((l) => Number(l.id) === Number(heaviest.locationId[0]))!;
    expect(Number(leafLoc.mappingId)).toBe(Number(ours[0].id));
    // What Go's own reader makes of it.
    const goEnv = { env: { ...process.env, HOME: dir }, timeout: 60_000 };
    const { stdout } = await promisify(execFile)('go', ['tool', 'pprof', '-top', file], goEnv);
    expect(stdout).toMatch(/Type: cpu/);
    expect(stdout).toMatch(/\sleaf_a\n/);
    expect(stdout).toMatch(/\smid_b\n/);
    // -raw lists the mappings (after the samples and locations) with their build-ids.
    const raw = (await promisify(execFile)('go', ['tool', 'pprof', '-raw', file], goEnv)).stdout;
    const mappingLines = raw.slice(raw.lastIndexOf('Mappings')).split('\n');
    expect(mappingLines.find((l) => l.includes(bin))).toContain(noted);
  });

  it('perfscope --pprof --probes offcpu: off-CPU nanoseconds by stack, sleeper_fn under main', async () => {
    work = await startWork(bin, ['sleep', '150']);
    const file = path.join(dir, 'off.pb.gz');
    const run = promisify(execFile)('node', [BIN, '--pprof', file, '--probes', 'offcpu', '-d', '2', '-p', String(work.child.pid)], { timeout: 30_000 });
    await sleep(500);
    work.go();
    await run;
    const prof = Profile.decode(gunzipSync(readFileSync(file)));
    const strings = prof.stringTable.strings;
    expect(prof.sampleType.map((t) => strings[Number(t.type)])).toEqual(['switches', 'offcpu']);
    const fnName = new Map(prof.function.map((f) => [Number(f.id), strings[Number(f.name)]]));
    const locFns = new Map(prof.location.map((l) => [Number(l.id), l.line.map((ln) => fnName.get(Number(ln.functionId)))]));
    const heaviest = [...prof.sample].sort((a, b) => Number(b.value[1]) - Number(a.value[1]))[0];
    const names = heaviest.locationId.map((id) => locFns.get(Number(id))![0]).reverse();
    expect(names.join(';')).toMatch(/;main;sleeper_fn;.*nanosleep/);
    expect(Number(heaviest.value[1])).toBeGreaterThan(0);
  });

  it.each([
    ['and no .eh_frame', () => debugFrame],
    ["and .eh_frame for the C runtime's _start only", () => mixedFrame],
  ])('a module with .debug_frame %s: the hottest stack is still main;mid_b;leaf_a, found by CFI', async (_what, file) => {
    work = await startWork(file(), ['burn', '2.5'], 1);
    const pid = work.child.pid!;
    const p = new ProfileProbe();
    probe = p;
    await p.startAsync(config({ pid }));
    p.sample();
    work.go();
    await sleep(300);
    await symbolizerIdle();
    expect(await work.exited).toBe(0);
    const rows = rowsOf([p.sample()], pid);
    const hottest = rows[0];
    expect(userNames(hottest).slice(-3)).toEqual(['main', 'mid_b', 'leaf_a']);
    const user = hottest.frames.slice(0, hottest.user_frames);
    const viaOf = (sym: string) => user.find((f) => f.sym === sym)?.via;
    // mid_b was found from leaf_a's row, main from mid_b's: both rows of .debug_frame.
    expect(viaOf('leaf_a')).toBe('regs');
    expect(viaOf('mid_b')).toBe('cfi');
    expect(viaOf('main')).toBe('cfi');
  });

  it('a module whose CFI is corrupt falls back to frame pointers, and its frames say so', async () => {
    work = await startWork(corrupt, ['burn', '1.5'], 1);
    const pid = work.child.pid!;
    const p = new ProfileProbe();
    probe = p;
    await p.startAsync(config({ pid }));
    p.sample();
    work.go();
    await sleep(300);
    await symbolizerIdle();
    expect(await work.exited).toBe(0);
    const rows = rowsOf([p.sample()], pid);
    const hottest = rows[0];
    expect(userNames(hottest).slice(-3)).toEqual(['main', 'mid_b', 'leaf_a']);
    const user = hottest.frames.slice(0, hottest.user_frames);
    const viaOf = (sym: string) => user.find((f) => f.sym === sym)?.via;
    // mid_b and main were found from frames of the corrupt module: by frame pointer, said.
    expect(viaOf('mid_b')).toBe('fp-corrupt-cfi');
    expect(viaOf('main')).toBe('fp-corrupt-cfi');
  });
});
