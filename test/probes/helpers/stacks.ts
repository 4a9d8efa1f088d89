// Shared by the stack tests: the known-stack program (stackwork.c) built in a temporary
// directory, started and released, and the frames of a stack row by name.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { StackRow } from '../../../src/stacks/frames.js';
import { onlineCpus } from '../../../src/probes/cpus.js';
import type { ProbeConfig } from '../../../src/probes/types.js';

const SRC = fileURLToPath(new URL('./stackwork.c', import.meta.url));

export function config(over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus(), args: [], ...over };
}

/** Build stackwork (with frame pointers) and a stripped copy; returns their paths. */
export function buildStackwork(): { dir: string; bin: string; stripped: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-stacks-'));
  const bin = path.join(dir, 'stackwork');
  execFileSync('cc', ['-O0', '-g', '-Wall', '-Werror', '-fno-omit-frame-pointer', '-o', bin, SRC]);
  const stripped = path.join(dir, 'stackstrip');
  copyFileSync(bin, stripped);
  execFileSync('strip', ['--strip-all', stripped]);
  return { dir, bin, stripped };
}

export interface Work {
  child: ChildProcess;
  exited: Promise<number | null>;
  go(): void;
}

/** Start it (optionally pinned), wait for "ready"; go() lets it work. */
export async function startWork(bin: string, args: string[], cpu?: number): Promise<Work> {
  const child =
    cpu === undefined
      ? spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(cpu), bin, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  return { child, exited, go: () => child.stdin!.write('go\n') };
}

export const userNames = (r: StackRow): (string | null)[] => r.frames.slice(0, r.user_frames).map((f) => f.sym);
export const kernelNames = (r: StackRow): (string | null)[] => r.frames.slice(r.user_frames).map((f) => f.sym);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
