// A busy process running code of crafted libraries (test/helpers/crafted-elf.ts: a 1 GiB note,
// a million sections, garbage DWARF, a sparse exabyte debuglink target) and of a good one, with
// the profile on: `perfscope --json --probes profile,proc --count 15` writes every line, and the
// frames in the crafted files carry their own function's name or none (module+offset), never
// another's; the good library's are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { craftLibs } from '../helpers/crafted-elf.js';
import { JsonRun } from '../helpers/perfscope.js';

const LIB_SRC = fileURLToPath(new URL('../native/helpers/symtlib.c', import.meta.url));
// Calls lib_fn of every library given, for ever (frame pointers kept, so the profile's walk
// reaches main through the library).
const SPIN = `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  int (*fn[16])(int);
  int n = 0;
  for (int i = 1; i < argc && n < 16; i++) {
    void *h = dlopen(argv[i], RTLD_NOW);
    if (!h || !(fn[n++] = (int (*)(int))dlsym(h, "lib_fn"))) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
  }
  printf("ready\\n");
  fflush(stdout);
  volatile int x = 0;
  for (;;)
    for (int k = 0; k < n; k++)
      for (int j = 0; j < 100000; j++) x += fn[k](j);
}
`;

let dir = '';
let spin: ChildProcess | null = null;
let libs: Record<string, string> = {};
let good = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'perfscope-crafted-'));
  writeFileSync(path.join(dir, 'spin.c'), SPIN);
  execFileSync('cc', ['-O0', '-fno-omit-frame-pointer', '-o', path.join(dir, 'spin'), path.join(dir, 'spin.c'), '-ldl']);
  good = path.join(dir, 'libgood.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O0', '-g', '-fno-omit-frame-pointer', '-o', good, LIB_SRC]);
  libs = craftLibs(dir, good, LIB_SRC);
  spin = spawn(path.join(dir, 'spin'), [...Object.values(libs), good], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: spin.stdout! })) if (line === 'ready') break;
});

afterAll(() => {
  spin?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Frame {
  sym: string | null;
  module: string;
}
interface Line {
  profile?: { stacks?: { tgid: number; frames: Frame[] }[] };
}

describe('crafted ELF files under the profile', () => {
  it('every --json line is written; frames in crafted files are lib_fn or unnamed; the good library is named', async () => {
    // 15 intervals: a loaded host may take a few before every file is read (frames pending till then).
    const run = new JsonRun<Line>(['--probes', 'profile,proc', '--count', '15', '-p', String(spin!.pid)]);
    const frames: Frame[] = [];
    try {
      for (let i = 0; i < 15; i++) {
        const l = await run.next();
        // (An interval before the probe's first sample carries its state only.)
        for (const s of l.profile?.stacks ?? []) frames.push(...s.frames);
      }
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    const crafted = new Set(Object.values(libs));
    const inCrafted = frames.filter((f) => crafted.has(f.module));
    expect(inCrafted.length).toBeGreaterThan(0);
    for (const f of inCrafted) expect([null, 'lib_fn']).toContain(f.sym);
    // The good library's code ran as much as each crafted one's: named once it is read.
    expect(frames.some((f) => f.module === good && f.sym === 'lib_fn')).toBe(true);
    expect(frames.some((f) => f.sym === 'main')).toBe(true);
  }, 120_000);
});
