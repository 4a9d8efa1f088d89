// JIT frames against the real kernel: a Node.js script (--perf-basic-prof) and a Java program
// (HotSpot, its perf map written by `jcmd PID Compiler.perfmap`) each spin in one known hot
// function; the profile names it, from the runtime's /tmp/perf-PID.map, at the leaf of the
// process's hottest stack. JIT code has no CFI: the walk goes on from it by frame pointer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProfileProbe } from '../../src/probes/profile.js';
import type { ProfileRow } from '../../src/probes/profile-spec.js';
import { symbolizerIdle } from '../../src/stacks/resolve.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { config, sleep } from './helpers/stacks.js';

const NODE_SCRIPT = fileURLToPath(new URL('./helpers/jit/hot.js', import.meta.url));
const JAVA_SRC = fileURLToPath(new URL('./helpers/jit/Hot.java', import.meta.url));

/** The process's rows of one interval, hottest first, and its hottest row's leaf user frame. */
async function profileOf(pid: number, ms: number): Promise<{ rows: ProfileRow[]; leaf: string | null }> {
  const p = new ProfileProbe();
  probe = p;
  await p.startAsync(config({ pid }));
  p.sample();
  await sleep(300);
  await symbolizerIdle(); // its files and its perf map read
  p.sample();
  await sleep(ms);
  await symbolizerIdle();
  const rows = p
    .sample()
    .stacks.filter((r) => r.tgid === pid)
    .sort((a, b) => b.count - a.count);
  const top = rows[0];
  return { rows, leaf: top?.user_frames ? top.frames[top.user_frames - 1].sym : null };
}

let probe: ProfileProbe | null = null;

describe.skipIf(noBpf)('JIT frames (real BPF)', () => {
  let dir: string;
  let child: ChildProcess | null = null;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'perfscope-jit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (child?.pid) rmSync(`/tmp/perf-${child.pid}.map`, { force: true }); // the runtime's, left behind
    child = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  it('Node.js --perf-basic-prof: the hot JavaScript function is named at the leaf of the hottest stack', async () => {
    child = spawn(process.execPath, ['--perf-basic-prof', NODE_SCRIPT, '8'], { stdio: 'ignore' });
    await sleep(1000); // optimized (and written to its perf map) by then
    const { rows, leaf } = await profileOf(child.pid!, 2000);
    expect(rows.length).toBeGreaterThan(0);
    expect(leaf).toMatch(/hotLoopFn/);
    const top = rows[0];
    expect(top.frames[top.user_frames - 1].module).toBe('[jit]');
  });

  it('Java (HotSpot, jcmd Compiler.perfmap): the hot method is named at the leaf of the hottest stack', async () => {
    execFileSync('javac', ['-d', dir, JAVA_SRC], { timeout: 120_000 });
    child = spawn('java', ['-XX:CompileCommand=quiet', '-XX:CompileCommand=dontinline,Hot::hotMethod', '-cp', dir, 'Hot', '20'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    await sleep(2500); // compiled by C2 by then
    await promisify(execFile)('jcmd', [String(child.pid), 'Compiler.perfmap'], { timeout: 60_000 });
    const { leaf } = await profileOf(child.pid!, 2000);
    expect(leaf).toBe('double Hot.hotMethod(int)');
  });
});
