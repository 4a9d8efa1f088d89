// What runs while a load runs: nothing, the empty floor program, one perfscope probe in this
// process (or the scheduler probes together), the real perfscope binary with every probe, or a
// peer tool (bpftrace, BCC, libbpf-tools). Each starts, reports its BPF run statistics and
// user-space CPU over a load (begin/end), and stops.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BpfObject, bpfObjectPath } from '../src/bpf/object.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { onlineCpus } from '../src/probes/cpus.js';
import { CATALOGUE } from '../src/catalogue/catalogue.js';
import type { ProbeConfig } from '../src/probes/types.js';
import { exited, spawnTracked, stopChild } from './children.js';
import { cpuNs, heldProgramIds, processTree, programStats, rssKb } from './host.js';
import { runDelta, runDeltaByIds, type RunDelta, type RunStats } from './stats.js';

export interface Measured {
  /** BPF run statistics over the load, or null for nothing attached. */
  delta: RunDelta | null;
  /** CPU time of the tool's processes over the load (ns), null when not a separate process. */
  cpuNs: number | null;
  /** Resident memory of the tool's processes at the end of the load (KiB), null when not a separate process. */
  rssKb: number | null;
}

export interface Running {
  readonly progIds: number[];
  /** ms from start to ready (programs attached; first --json line for perfscope). */
  readonly readyMs: number;
  /** Extra facts for the report (e.g. which perfscope probes are running). */
  readonly notes: string[];
  begin(): void;
  end(): Measured;
  stop(): Promise<void>;
}

export type SubjectGroup = 'floor' | 'probe' | 'perfscope' | 'peer';

export interface Subject {
  readonly id: string;
  readonly label: string;
  readonly group: SubjectGroup;
  /** The perfscope probe this one compares with. */
  readonly probe?: string;
  /** Runs on every context switch: listed in the per-switch table. */
  readonly sched?: boolean;
  start(): Promise<Running>;
}

/** A tool started for one subject run ends by itself after this long, even if the bench is killed. */
const RUN_LIMIT_S = 120;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();

export function probeConfig(): ProbeConfig {
  return { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: onlineCpus() };
}

/**
 * An in-process BPF object attached while the subject runs: every program, or only `only` (the
 * others not loaded).
 */
function objectSubject(o: { id: string; label: string; group: SubjectGroup; object: string; probe?: string; only?: string; sched?: boolean }): Subject {
  return {
    id: o.id,
    label: o.label,
    group: o.group,
    probe: o.probe,
    ...(o.sched ? { sched: true } : {}),
    async start() {
      const t0 = now();
      const obj = BpfObject.open(bpfObjectPath(o.object));
      try {
        if (o.only) for (const p of obj.programs()) obj.setAutoload(p.name, p.name === o.only);
        obj.load();
        obj.attachAll();
      } catch (e) {
        obj.close();
        throw e;
      }
      let s0: RunStats = obj.stats();
      return {
        progIds: obj.progIds(),
        readyMs: now() - t0,
        notes: [],
        begin() {
          s0 = obj.stats();
        },
        end: () => ({ delta: runDelta(s0, obj.stats()), cpuNs: null, rssKb: null }),
        async stop() {
          obj.detachAll();
          obj.close();
        },
      };
    },
  };
}

/**
 * Beside the trace probe (which the bench runs on sched:sched_switch, its spec's bench values):
 * an empty program on the same classic tracepoint, and bpftrace's `@[comm] = count()` on it.
 */
export function traceSubjects(dir: string, startTimeoutMs: number, peers: boolean): Subject[] {
  const out = [objectSubject({ id: 'floor:tracepoint', label: 'empty tracepoint/sched/sched_switch', group: 'peer', object: 'benchfloor_tp', probe: 'trace' })];
  if (!peers) return out;
  const prog = 'BEGIN { printf("tracing\\n"); } tracepoint:sched:sched_switch { @[comm] = count(); }';
  out.push(
    external(
      {
        id: 'bpftrace:comm-count',
        label: 'bpftrace sched_switch @[comm] = count()',
        group: 'peer',
        probe: 'trace',
        cmd: 'bpftrace',
        args: ['-e', prog],
        readyWhen: (o) => o.includes('tracing'),
        stopSignal: 'SIGINT',
      },
      dir,
      startTimeoutMs,
    ),
  );
  return out;
}

/**
 * Beside the profile probe: bpftrace's profile one-liner, which walks the same two stacks per
 * sample and counts them by stack id (libbpf-tools' profile is not in Debian's package).
 */
export function profileSubjects(dir: string, startTimeoutMs: number, peers: boolean): Subject[] {
  if (!peers) return [];
  const prog = 'BEGIN { printf("profiling\\n"); } profile:hz:49 { @[kstack, ustack, comm] = count(); }';
  return [
    external(
      {
        id: 'bpftrace:profile',
        label: 'bpftrace profile:hz:49 @[kstack, ustack, comm] = count()',
        group: 'peer',
        probe: 'profile',
        cmd: 'bpftrace',
        args: ['-e', prog],
        readyWhen: (o) => o.includes('profiling'),
        stopSignal: 'SIGINT',
      },
      dir,
      startTimeoutMs,
    ),
  ];
}

/** The reference of every ×floor ratio. */
export const FLOOR = objectSubject({
  id: 'floor',
  label: 'floor: empty tp_btf/sched_switch',
  group: 'floor',
  object: 'benchfloor',
  only: 'ps_bench_floor',
  sched: true,
});
/** The same on raw_tp: the two hooks' fixed costs side by side. */
export const FLOOR_RAW = objectSubject({
  id: 'floor:raw_tp',
  label: 'floor: empty raw_tp/sched_switch',
  group: 'floor',
  object: 'benchfloor',
  only: 'ps_bench_floor_raw',
  sched: true,
});

/** The probes that run on every context switch (their row in the per-switch table). */
const SCHED_PROBES = ['offcpu', 'runqlat'];
/** The probes whose programs run on every context switch: the scheduler probes and the containers part of their object. */
const PER_SWITCH = [...SCHED_PROBES, 'containers'];

/**
 * One subject per BPF probe of the catalogue (whatever it holds when the bench runs), and one for
 * the scheduler probes together (both on at once, as perfscope runs them by default).
 */
export function probeSubjects(): Subject[] {
  const out: Subject[] = [];
  const bpfSpecs = CATALOGUE.filter((s) => s.bpf);
  for (const spec of bpfSpecs) {
    out.push(inProcess(`probe:${spec.name}`, `perfscope ${spec.name}`, [spec], spec.name));
  }
  // The off-CPU stacks: the offcpu probe with its stacks object on (a stack walk per switch).
  for (const spec of bpfSpecs) {
    for (const o of spec.options ?? []) {
      if (o.kind === 'boolean' && o.detail)
        out.push(inProcess(`probe:${spec.name}+${o.flag}`, `perfscope ${spec.name} --${o.flag}`, [spec], spec.name, { [o.flag]: true }));
    }
  }
  const sched = bpfSpecs.filter((s) => SCHED_PROBES.includes(s.name));
  if (sched.length > 1) {
    out.push(inProcess(`probes:${sched.map((s) => s.name).join('+')}`, `perfscope ${sched.map((s) => s.name).join(' + ')} together`, sched));
    // The same with the per-cgroup run-queue histogram and off-CPU maxima on (the containers part).
    const all = bpfSpecs.filter((s) => PER_SWITCH.includes(s.name));
    if (all.length > sched.length)
      out.push(inProcess(`probes:${all.map((s) => s.name).join('+')}`, `perfscope ${all.map((s) => s.name).join(' + ')} together`, all));
  }
  return out;
}

type Spec = (typeof CATALOGUE)[number];

/** Probes started in the bench process through their probe classes; their costs summed. */
function inProcess(id: string, label: string, specs: readonly Spec[], probe?: string, options?: Record<string, boolean | number>): Subject {
  return {
    id,
    label,
    group: 'probe',
    probe,
    sched: specs.some((s) => PER_SWITCH.includes(s.name)),
    async start() {
      const t0 = now();
      const probes: Awaited<ReturnType<Spec['create']>>[] = [];
      try {
        for (const spec of specs) {
          const p = await spec.create();
          probes.push(p);
          // A probe with values of its own (--trace) runs with the ones its spec gives the bench.
          const cfg = { ...probeConfig(), ...(spec.args ? { args: spec.args.resolve(spec.args.bench) } : {}), ...(options ? { options } : {}) };
          await (p.startAsync ? p.startAsync(cfg) : p.start(cfg));
        }
      } catch (e) {
        for (const p of probes) {
          try {
            p.stop();
          } catch {
            /* the start error is the one to report */
          }
        }
        throw e;
      }
      // Sample like the manager does, so maps are read and ring buffers drained as in real use.
      // Not cost(): it takes the difference since its last call, which begin()/end() own.
      // Stack probes: the time their symbolization took per interval, in the notes.
      const notes: string[] = [];
      const symMs: number[] = [];
      const tick = () => {
        for (const p of probes) {
          try {
            const s = p.sample() as { symbolize_ms?: number; stacks?: { symbolize_ms?: number } | null } | null;
            const ms = s?.symbolize_ms ?? s?.stacks?.symbolize_ms;
            if (typeof ms === 'number') {
              symMs.push(ms);
              const sorted = [...symMs].sort((a, b) => a - b);
              notes[0] = `symbolization per interval: median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms (${sorted.length} intervals)`;
            }
            p.drain?.();
          } catch {
            /* measured anyway */
          }
        }
      };
      const timer = setInterval(tick, 1000);
      const ids = probes.flatMap((p) => (p as { progIds?: () => number[] }).progIds?.() ?? []);
      return {
        progIds: [...new Set(ids)],
        readyMs: now() - t0,
        notes,
        begin() {
          for (const p of probes) p.cost?.();
        },
        end() {
          tick(); // a load shorter than the tick's period is read once at least
          let run_ns = 0;
          let run_cnt = 0;
          for (const p of probes) {
            const c = p.cost?.() ?? {};
            run_ns += c.run_ns ?? 0;
            run_cnt += c.run_cnt ?? 0;
          }
          return { delta: { run_ns, run_cnt, ns_per_event: run_cnt > 0 ? run_ns / run_cnt : null }, cpuNs: null, rssKb: null };
        },
        async stop() {
          clearInterval(timer);
          for (const p of probes) p.stop();
        },
      };
    },
  };
}

/** First line of a tool's error output that says what went wrong. */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/RLIMIT_MEMLOCK/.test(l) && !/^(Traceback|File ")/.test(l) && !/^\^+$/.test(l));
  const useful = lines.filter((l) => !/^raise /.test(l) && !/modprobe: not found/.test(l));
  for (const re of [/\bERROR\b/, /Unable to/, /error:/i, /Exception:/, /Errno|Permission denied|cannot|failed/i]) {
    const hit = useful.find((l) => re.test(l));
    if (hit) return hit.slice(0, 200);
  }
  return (useful[0] ?? lines[0] ?? 'exited without output').slice(0, 200);
}

interface ExternalSpec {
  id: string;
  label: string;
  group: SubjectGroup;
  probe?: string;
  sched?: boolean;
  cmd: string;
  args: string[];
  /** Ready when the stdout file matches this (after the programs are attached). */
  readyWhen: (stdout: string) => boolean;
  stopSignal: NodeJS.Signals;
  env?: Record<string, string>;
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** A tool run as its own process (in its own group, under `timeout`), output to files in `dir`. */
function external(spec: ExternalSpec, dir: string, startTimeoutMs: number): Subject {
  return {
    id: spec.id,
    label: spec.label,
    group: spec.group,
    probe: spec.probe,
    sched: spec.sched ?? (spec.group === 'perfscope' || (spec.probe !== undefined && PER_SWITCH.includes(spec.probe))),
    async start() {
      const base = path.join(dir, spec.id.replace(/[^\w.-]+/g, '_'));
      const outFile = `${base}.out`;
      const errFile = `${base}.err`;
      const outFd = openSync(outFile, 'w');
      const errFd = openSync(errFile, 'w');
      const t0 = now();
      let child: ChildProcess;
      try {
        child = spawnTracked('timeout', ['-s', spec.stopSignal, String(RUN_LIMIT_S), spec.cmd, ...spec.args], {
          stdio: ['ignore', outFd, errFd],
          env: { ...process.env, ...spec.env },
        });
      } finally {
        closeSync(outFd);
        closeSync(errFd);
      }
      const gone = exited(child).then(() => true);
      let done = false;
      void gone.then(() => (done = true));
      const deadline = t0 + startTimeoutMs;
      let ids: number[] = [];
      let ready = false;
      while (!done && now() < deadline) {
        await sleep(20);
        ids = heldProgramIds(processTree(child.pid!));
        if (ids.length && spec.readyWhen(readTail(outFile))) {
          ready = true;
          break;
        }
      }
      const readyMs = now() - t0;
      if (!ready) {
        await stopChild(child, 'SIGKILL', 1000);
        const why = done ? firstErrorLine(readTail(errFile) + '\n' + readTail(outFile)) : `not ready within ${Math.round(startTimeoutMs / 1000)} s`;
        throw new Error(why);
      }
      // Programs attached; let the tool settle (bpftrace prints its BEGIN line right after attaching).
      await sleep(200);
      if (done) throw new Error(firstErrorLine(readTail(errFile) + '\n' + readTail(outFile))); // e.g. its attach failed after the load
      ids = heldProgramIds(processTree(child.pid!));
      let before = new Map<number, RunStats>();
      let cpu0 = 0;
      const treeCpu = () => processTree(child.pid!).reduce((a, p) => a + (cpuNs(p) ?? 0), 0);
      const notes: string[] = [];
      if (spec.group === 'perfscope') notes.push(...perfscopeStates(readTail(outFile)));
      return {
        progIds: ids,
        readyMs,
        notes,
        begin() {
          ids = heldProgramIds(processTree(child.pid!));
          before = programStats();
          cpu0 = treeCpu();
        },
        end() {
          const after = programStats();
          const tree = processTree(child.pid!);
          const rss = tree.reduce((a, p) => a + (rssKb(p) ?? 0), 0);
          return { delta: runDeltaByIds(before, after, ids), cpuNs: treeCpu() - cpu0, rssKb: rss || null };
        },
        async stop() {
          await stopChild(child, spec.stopSignal === 'SIGKILL' ? 'SIGTERM' : spec.stopSignal, 3000);
          try {
            // Output of a storm can be large: keep only what the report needs.
            if (fileSize(outFile) > 1 << 20) writeFileSync(outFile, '');
          } catch {
            /* tmp dir is removed at exit anyway */
          }
        },
      };
    },
  };
}

/** Which probes the first --json line of perfscope reports as not running, and why. */
function perfscopeStates(out: string): string[] {
  const line = out.split('\n')[0];
  try {
    const j = JSON.parse(line) as { probes: Record<string, { state: string; reason?: string }> };
    return Object.entries(j.probes)
      .filter(([, p]) => p.state !== 'running')
      .map(([n, p]) => `${n}: ${p.state}${p.reason ? ` (${p.reason})` : ''}`);
  } catch {
    return [];
  }
}

/** The real perfscope binary, every probe, --json at the default interval, output to a file. */
export function perfscopeSubject(dir: string): Subject {
  return external(
    {
      id: 'perfscope',
      label: 'perfscope (all probes, --json)',
      group: 'perfscope',
      cmd: process.execPath,
      args: [path.join(PACKAGE_ROOT, 'bin', 'perfscope.js'), '--json'],
      readyWhen: (out) => out.includes('\n'),
      stopSignal: 'SIGTERM',
    },
    dir,
    30_000,
  );
}

function findBt(name: string): string | null {
  for (const d of ['/usr/share/bpftrace/tools', '/usr/sbin', '/usr/local/share/bpftrace/tools']) {
    const p = path.join(d, `${name}.bt`);
    if (existsSync(p)) return p;
  }
  return null;
}

const bpftraceReady = (out: string) => out.split('\n').some((l) => l.trim() && !/^Attaching \d+ probes/.test(l));
const bccReady = (out: string) => out.trim().length > 0;

export interface PeerListing {
  subjects: Subject[];
  /** Tools that are not even there (not installed), with why. */
  missing: { id: string; probe: string; reason: string }[];
}

/**
 * The peers: bpftrace's, BCC's and libbpf-tools' tools for what perfscope's probes show.
 * libbpf-tools (Debian's package: CO-RE C ports of the BCC tools, in /usr/sbin without a suffix)
 * are the strongest: compiled programs, no runtime compiler. execsnoop runs with -x (failed execs
 * too, as the exec probe reports them); offcputime walks a kernel and a user stack per switch,
 * which the offcpu probe does not. bpftrace's stock
 * runqlat.bt includes <linux/sched.h> for TASK_RUNNING, which needs kernel headers; a copy
 * without the include (TASK_RUNNING written as 0) runs the same programs and is measured too.
 */
export function peerSubjects(dir: string, startTimeoutMs: number): PeerListing {
  const subjects: Subject[] = [];
  const missing: PeerListing['missing'] = [];
  const bt: [string, string][] = [
    ['runqlat', 'runqlat'],
    ['execsnoop', 'exec'],
    ['opensnoop', 'open'],
    ['tcpconnect', 'tcp'],
  ];
  for (const [tool, probe] of bt) {
    const id = `bpftrace:${tool}.bt`;
    const file = findBt(tool);
    if (!file) {
      missing.push({ id, probe, reason: 'not installed (bpftrace tools not found)' });
      continue;
    }
    subjects.push(
      external(
        { id, label: `bpftrace ${tool}.bt`, group: 'peer', probe, cmd: 'bpftrace', args: [file], readyWhen: bpftraceReady, stopSignal: 'SIGINT' },
        dir,
        startTimeoutMs,
      ),
    );
    if (tool === 'runqlat') {
      const text = readFileSync(file, 'utf8');
      if (/#include\s*<linux\/sched\.h>/.test(text)) {
        const patched = path.join(dir, 'runqlat-noinclude.bt');
        writeFileSync(patched, text.replace(/#include\s*<linux\/sched\.h>\s*\n/, '').replace(/\bTASK_RUNNING\b/g, '0'));
        subjects.push(
          external(
            {
              id: 'bpftrace:runqlat.bt*',
              label: 'bpftrace runqlat.bt* (no #include)',
              group: 'peer',
              probe,
              cmd: 'bpftrace',
              args: [patched],
              readyWhen: bpftraceReady,
              stopSignal: 'SIGINT',
            },
            dir,
            startTimeoutMs,
          ),
        );
      }
    }
  }
  const bcc: [string, string][] = [
    ['runqlat', 'runqlat'],
    ['offcputime', 'offcpu'],
    ['execsnoop', 'exec'],
    ['opensnoop', 'open'],
    ['tcpconnect', 'tcp'],
  ];
  for (const [tool, probe] of bcc) {
    const id = `bcc:${tool}`;
    const cmd = [`/usr/sbin/${tool}-bpfcc`, `/usr/share/bcc/tools/${tool}`].find((p) => existsSync(p));
    if (!cmd) {
      missing.push({ id, probe, reason: 'not installed (bpfcc-tools not found)' });
      continue;
    }
    subjects.push(
      external(
        {
          id,
          label: `BCC ${path.basename(cmd)}`,
          group: 'peer',
          probe,
          cmd,
          args: [],
          readyWhen: bccReady,
          stopSignal: 'SIGINT',
          env: { PYTHONUNBUFFERED: '1' },
        },
        dir,
        startTimeoutMs,
      ),
    );
  }
  const libbpf: [string, string, string[]][] = [
    ['runqlat', 'runqlat', []],
    ['offcputime', 'offcpu', []],
    ['execsnoop', 'exec', ['-x']],
    ['opensnoop', 'open', []],
    ['tcpconnect', 'tcp', []],
  ];
  for (const [tool, probe, args] of libbpf) {
    const id = `libbpf-tools:${tool}`;
    const cmd = `/usr/sbin/${tool}`;
    if (!existsSync(cmd)) {
      missing.push({ id, probe, reason: 'not installed (libbpf-tools not found)' });
      continue;
    }
    const label = `libbpf-tools ${[tool, ...args].join(' ')}${tool === 'offcputime' ? ' (+ stack walks)' : ''}`;
    // Their stdout to a file is block-buffered (and offcputime prints nothing until it stops):
    // ready once the tool holds its programs (it attaches right after loading; external() then
    // waits 200 ms more).
    subjects.push(external({ id, label, group: 'peer', probe, cmd, args, readyWhen: () => true, stopSignal: 'SIGINT' }, dir, startTimeoutMs));
  }
  return { subjects, missing };
}
