// The loads: each a fixed number of operations that ends by itself and reports its own time per
// operation. The context-switch load is `perf bench sched pipe` (Debian's linux-perf) when it
// works here, else psload's own pipe ping-pong; the others come from psload.c, compiled at bench
// time.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { exited, run, spawnTracked } from './children.js';

export type LoadName = 'switch' | 'open' | 'exec' | 'connect';

export interface LoadSpec {
  name: LoadName;
  /** What one operation is, for the table. */
  op: string;
  count: number;
}

export interface LoadKit {
  psload: string;
  file: string;
  perf: boolean;
  /** How the context-switch load is made, for the report. */
  switchTool: string;
}

export function loadSpecs(quick: boolean): LoadSpec[] {
  return [
    { name: 'switch', op: 'pipe round trip (2 context switches)', count: quick ? 6_000 : 20_000 },
    { name: 'open', op: 'open+close', count: quick ? 40_000 : 120_000 },
    { name: 'exec', op: 'fork+exec /bin/true+wait', count: quick ? 30 : 100 },
    { name: 'connect', op: 'loopback TCP connect+accept+close', count: quick ? 2_500 : 8_000 },
  ];
}

const SRC = path.join(PACKAGE_ROOT, 'bench', 'psload.c');

/** Compile psload into `dir` and check whether perf bench sched pipe works here. */
export function prepareLoads(dir: string): LoadKit {
  if (!existsSync(SRC)) throw new Error(`psload source missing: ${SRC}`);
  const out = path.join(dir, 'psload');
  let built = false;
  let why = '';
  for (const cc of ['clang-16', 'cc', 'gcc', 'clang']) {
    const r = run(cc, ['-O2', '-Wall', '-o', out, SRC], 60_000);
    if (r.code === 0) {
      built = true;
      break;
    }
    why ||= `${cc}: ${(r.stderr.split('\n')[0] || 'not found').trim()}`;
  }
  if (!built) throw new Error(`cannot compile the load program (${why})`);
  const file = path.join(dir, 'open-target');
  writeFileSync(file, 'perfscope bench\n');
  const perf = run('perf', ['bench', 'sched', 'pipe', '-l', '200'], 20_000);
  const perfOk = perf.code === 0 && /usecs\/op/.test(perf.stdout);
  return {
    psload: out,
    file,
    perf: perfOk,
    switchTool: perfOk ? 'perf bench sched pipe' : `psload pipe (perf bench sched pipe did not work: ${(perf.stderr.split('\n')[0] || 'no output').trim()})`,
  };
}

/** Parse "ops=N ns=T ns_per_op=X" (psload) or perf's "N usecs/op" into ns per operation. */
export function parseLoadOutput(text: string): number | null {
  const m = /ns_per_op=([\d.]+)/.exec(text);
  if (m) return Number(m[1]) || null;
  const p = /([\d.]+)\s+usecs\/op/.exec(text);
  if (p) return Number(p[1]) * 1000 || null;
  return null;
}

/** Run one load to its end; ns per operation, or null when it failed. */
export async function runLoad(kit: LoadKit, spec: LoadSpec): Promise<number | null> {
  const [cmd, args] =
    spec.name === 'switch' && kit.perf
      ? ['perf', ['bench', 'sched', 'pipe', '-l', String(spec.count)]]
      : spec.name === 'switch'
        ? [kit.psload, ['pipe', String(spec.count)]]
        : spec.name === 'open'
          ? [kit.psload, ['open', String(spec.count), kit.file]]
          : [kit.psload, [spec.name, String(spec.count)]];
  const child = spawnTracked('timeout', ['-s', 'KILL', '120', cmd, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  const code = await exited(child);
  return code === 0 ? parseLoadOutput(out) : null;
}

/** A mixed event storm for `seconds` (exec, open, pipe ping-pong, loopback connects at once). */
export function startStorm(kit: LoadKit, seconds: number) {
  return spawnTracked('timeout', ['-s', 'KILL', String(Math.ceil(seconds) + 30), kit.psload, 'storm', String(seconds), kit.file], { stdio: 'ignore' });
}
