// The user-space probes' cost beside bpftrace's same one-liners, in the same run (issue 33):
// BPF run time per malloc() call of a load (bench/ucalls.c: N malloc(100) calls), for
//   count:     perfscope --trace u:c:malloc          bpftrace uprobe:libc:malloc { @[comm] = count(); }
//   arg hist:  perfscope --trace u:c:malloc:arg1     bpftrace uprobe:libc:malloc { @[comm] = count(); @h = hist(arg0); }
//   latency:   perfscope --trace ur:c:malloc:lat     bpftrace uprobe + uretprobe, @s[tid] = nsecs ... @[comm] = count(); @h = hist(nsecs - @s[tid])
// (bpftrace's lines do what perfscope's row does: the count by task besides the histogram).
// Each row: the tool attached, the load run ROUNDS times, the BPF run time of the tool's programs
// over each run divided by the run's calls (the runs of other processes' mallocs meanwhile are
// counted too, for both tools alike: the shared machine's noise, said in the report). Only these
// rows: the machine is shared, the whole bench is bench.ts. Run: npm run bench:uprobes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addon } from '../src/bpf/addon.js';
import { TraceProbe } from '../src/probes/trace.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { cleanupAll, exited, spawnTracked, stopChild } from './children.js';
import { heldProgramIds, programStats } from './host.js';
import { median } from './stats.js';
import { probeConfig } from './subjects.js';

const CALLS = 200_000;
const ROUNDS = 5;

interface Row {
  what: string;
  perfscope: number | null;
  bpftrace: number | null;
}

function sumStats(ids: readonly number[]): { ns: number; cnt: number } {
  const all = programStats();
  let ns = 0;
  let cnt = 0;
  for (const id of ids) {
    const s = all.get(id);
    if (s) {
      ns += s.runTimeNs;
      cnt += s.runCnt;
    }
  }
  return { ns, cnt };
}

/** Median over ROUNDS of BPF ns per call of the load, for the programs `ids`. */
function measure(load: string, ids: () => number[]): number | null {
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = sumStats(ids());
    execFileSync(load, [String(CALLS)]);
    const b = sumStats(ids());
    per.push((b.ns - a.ns) / CALLS);
  }
  return median(per);
}

async function perfscopeRow(spec: string, load: string): Promise<number | null> {
  const p = new TraceProbe();
  await p.startAsync({ ...probeConfig(), args: [spec] });
  try {
    return measure(load, () => p.progIds());
  } finally {
    p.stop();
  }
}

async function bpftraceRow(prog: string, load: string): Promise<number | null> {
  const child = spawnTracked('timeout', ['120', 'bpftrace', '-e', `BEGIN { printf("ready\\n"); } ${prog}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bpftrace did not start in 30 s')), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    exited(child).then(() => reject(new Error('bpftrace exited')));
  });
  try {
    const pids = [child.pid!];
    const tree = () => {
      // bpftrace runs under timeout(1): its programs are held by the child of our child
      const kids = execFileSync('pgrep', ['-g', String(child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number);
      return heldProgramIds([...pids, ...kids]);
    };
    return measure(load, tree);
  } finally {
    await stopChild(child, 'SIGINT');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-ubench-'));
  const fd = addon().enableStats();
  try {
    const load = path.join(dir, 'ucalls');
    execFileSync('cc', ['-O2', '-o', load, path.join(PACKAGE_ROOT, 'bench/ucalls.c')]);
    const rows: Row[] = [];
    const pairs: [string, string, string][] = [
      ['count by comm', 'u:c:malloc', 'uprobe:libc:malloc { @[comm] = count(); }'],
      ['argument histogram', 'u:c:malloc:arg1', 'uprobe:libc:malloc { @[comm] = count(); @h = hist(arg0); }'],
      [
        'return latency',
        'ur:c:malloc:lat',
        'uprobe:libc:malloc { @s[tid] = nsecs; } uretprobe:libc:malloc /@s[tid]/ { @[comm] = count(); @h = hist(nsecs - @s[tid]); delete(@s[tid]); }',
      ],
    ];
    for (const [what, spec, bt] of pairs) {
      const ps = await perfscopeRow(spec, load);
      const bp = await bpftraceRow(bt, load).catch((e: Error) => {
        process.stderr.write(`bpftrace (${what}): ${e.message}\n`);
        return null;
      });
      rows.push({ what, perfscope: ps, bpftrace: bp });
    }
    const f = (v: number | null) => (v === null ? '–' : v.toFixed(1));
    process.stdout.write(`BPF ns per malloc() call (median of ${ROUNDS} runs of ${CALLS} calls; every process's mallocs meanwhile included)\n`);
    process.stdout.write(`${'one-liner'.padEnd(20)} ${'perfscope'.padStart(10)} ${'bpftrace'.padStart(10)}\n`);
    for (const r of rows) process.stdout.write(`${r.what.padEnd(20)} ${f(r.perfscope).padStart(10)} ${f(r.bpftrace).padStart(10)}\n`);
  } finally {
    addon().closeFd(fd);
    rmSync(dir, { recursive: true, force: true });
    cleanupAll();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:uprobes: ${(e as Error).message}\n`);
  cleanupAll();
  process.exit(1);
});
