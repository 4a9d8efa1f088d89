// The bench's results as data (build/bench.json), as a plain-text table for the terminal and as
// a markdown table for docs/performance.md. Formatting only: every number is computed before.
import type { LoadName, LoadSpec } from './loads.js';
import type { Summary } from './stats.js';
import type { SubjectGroup } from './subjects.js';

/** The subject every ×floor ratio is taken against (bench/subjects.ts FLOOR). */
const FLOOR_ID = 'floor';
/** The reference peer of the per-switch table (the strongest peer on the scheduler hooks). */
const SWITCH_REFERENCE = 'libbpf-tools:runqlat';
import type { AfterStormResult, StartupTimes, StormWindowResult, WindowResult } from './terminal.js';
import type { ConsoleCell, ConsolesReport, RestResult } from './rest.js';

export interface LoadResult {
  /** BPF ns per program run of the subject's programs. */
  ns_per_event: Summary;
  /** Program runs per load operation. */
  events_per_op: Summary;
  /** BPF ns per load operation (run_ns / ops). */
  bpf_ns_per_op: Summary;
  /** ns_per_event ÷ the floor's, paired by round. */
  ratio_to_floor: Summary;
  /** run_ns ÷ the host's context switches during the load (/proc/stat ctxt). */
  ns_per_switch: Summary;
  /** ns_per_switch ÷ the floor's, paired by round. */
  switch_ratio_to_floor: Summary;
  /** Load time per operation with the subject, and with nothing attached right after. */
  ns_per_op: Summary;
  none_ns_per_op: Summary;
  /** median(ns_per_op) / median(none_ns_per_op); min/max of the pairs. */
  slowdown: Summary;
  /** CPU used by the tool's own processes while the load ran, % of one CPU (separate processes only). */
  tool_cpu_pct: Summary;
  /** Resident memory of the tool's processes (timeout wrapper included), KiB, at the end of the load. */
  tool_rss_kb: Summary;
  /** CPU time of the tool's processes while the load ran, ms. */
  tool_cpu_ms?: Summary;
  /** The open load only: CPU time of the tool's processes from the load's start to 1.5 s after its end, ms. */
  tool_cpu_ms_tail?: Summary;
  /** Every round's values, in round order (null: that run failed or nothing ran). */
  raw: {
    ns_per_event: (number | null)[];
    run_cnt: (number | null)[];
    switches: (number | null)[];
    ns_per_op: (number | null)[];
    none_ns_per_op: (number | null)[];
  };
}

export interface SubjectResult {
  id: string;
  label: string;
  group: SubjectGroup;
  probe?: string;
  /** Runs on every context switch (listed in the per-switch table). */
  sched?: boolean;
  status: 'ok' | 'failed';
  reason?: string;
  prog_count: number;
  ready_ms: Summary;
  notes: string[];
  loads: Partial<Record<LoadName, LoadResult>>;
}

export interface BenchReport {
  meta: {
    date: string;
    host: string;
    kernel: string;
    cpus: number;
    cpu_model: string;
    node: string;
    mode: 'quick' | 'full' | 'consoles' | 'consoles, quick';
    rounds: number;
    duration_s: number;
    switch_load: string;
    stats: string;
    sysctl_bpf_stats_enabled: { before: string; after: string };
    tracefs: string;
    peers_install: string;
    load_avg_at_start: string;
    /** What cleanup could not remove ('nothing' when all is gone). */
    left_behind: string;
  };
  loads: LoadSpec[];
  subjects: SubjectResult[];
  /** Absent in `--consoles` runs (only the consoles table). */
  perfscope?: {
    startup: { frame_ms: Summary; interval_ms: Summary; json_ms: Summary; ui_import_ms: Summary; version_ms: Summary; runs: StartupTimes[] };
    idle: WindowResult | null;
    storm: StormWindowResult | null;
    storm_seconds: number;
    after_storm: AfterStormResult | null;
    terminal: string;
    error?: string;
  };
  /** The screen at rest with every probe (80×24, 160×48) and peers at rest, in the same run (bench/rest.ts). */
  rest?: RestResult[];
  /** perfscope, btop and htop at rest side by side, with extra sleeping tasks (bench/rest.ts consolesPart). */
  consoles?: ConsolesReport;
  /** Absent in `--consoles` runs. */
  proc_tick?: { median_ms: number; min_ms: number; max_ms: number; processes: number; iterations: number } | { error: string };
}

const LOADS: LoadName[] = ['switch', 'open', 'exec', 'connect'];

function num(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(digits);
}

function range(s: Summary, digits = 0): string {
  if (s.median === null) return '–';
  if (s.n <= 1 || s.min === null || s.max === null) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

function times(s: Summary): string {
  if (s.median === null) return '–';
  const f = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  return s.n <= 1 ? `×${f(s.median)}` : `×${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

type Table = { head: string[]; rows: string[][] };

type SubjectReport = BenchReport['subjects'][number];
type LoadReport = NonNullable<SubjectReport['loads'][LoadName]>;

/** One row per subject that ran: its label, then `cell` of each load ('–' where it has none). */
function perLoadRows(r: BenchReport, cell: (x: LoadReport, s: SubjectReport) => string): string[][] {
  return r.subjects.filter((s) => s.status === 'ok').map((s) => [s.label, ...LOADS.map((l) => (s.loads[l] ? cell(s.loads[l]!, s) : '–'))]);
}

function costTable(r: BenchReport): Table {
  const rows = perLoadRows(r, (x, s) => {
    if (x.ns_per_event.median === null) return '–';
    const ratioPart = s.id === FLOOR_ID || x.ratio_to_floor.median === null ? '' : ` ${times(x.ratio_to_floor)}`;
    return `${range(x.ns_per_event)}${ratioPart}`;
  });
  return { head: ['BPF ns per program run', ...LOADS], rows };
}

function perOpTable(r: BenchReport): Table {
  const rows = perLoadRows(r, (x) => (x.bpf_ns_per_op.median === null ? '–' : `${num(x.bpf_ns_per_op.median)} (${num(x.events_per_op.median, 1)})`));
  return { head: ['BPF ns per load op (runs per op)', ...LOADS], rows };
}

/** The subjects that run on every context switch, per switch of the switch load, against the floor and the reference peer. */
function switchTable(r: BenchReport, reference: string): Table {
  const ref = r.subjects.find((s) => s.id === reference && s.status === 'ok')?.loads.switch?.ns_per_switch.median ?? null;
  const refLabel = r.subjects.find((s) => s.id === reference)?.label ?? reference;
  const rows = r.subjects
    .filter((s) => s.status === 'ok' && s.sched && s.loads.switch)
    .map((s) => {
      const x = s.loads.switch!;
      const vsRef = ref === null || x.ns_per_switch.median === null ? '–' : `×${(x.ns_per_switch.median / ref).toFixed(2)}`;
      return [s.label, range(x.ns_per_switch), s.id === FLOOR_ID ? '–' : times(x.switch_ratio_to_floor), s.id === reference ? '×1.00' : vsRef];
    });
  return { head: ['BPF ns per context switch', 'ns per switch', '× floor', `× ${refLabel}`], rows };
}

function slowdownTable(r: BenchReport): Table {
  const head = ['load time with ÷ without', ...LOADS];
  const rows: string[][] = [];
  rows.push([
    'nothing attached (ns per op)',
    ...LOADS.map((l) => {
      // Every "none" run of the bench, whichever subject it was paired with.
      const all = r.subjects.flatMap((s) => (s.loads[l]?.none_ns_per_op.median != null ? [s.loads[l]!.none_ns_per_op] : []));
      return all.length ? num(all.map((x) => x.median!).sort((a, b) => a - b)[all.length >> 1]) : '–';
    }),
  ]);
  rows.push(...perLoadRows(r, (x) => times(x.slowdown)));
  return { head, rows };
}

function toolCpuTable(r: BenchReport): Table {
  const head = ['tool CPU, % of one CPU', ...LOADS, 'RSS, MiB'];
  const rows: string[][] = [];
  for (const s of r.subjects) {
    if (s.status !== 'ok' || (s.group !== 'perfscope' && s.group !== 'peer')) continue;
    const rss = LOADS.flatMap((l) => (s.loads[l]?.tool_rss_kb.max != null ? [s.loads[l]!.tool_rss_kb.max!] : []));
    rows.push([s.label, ...LOADS.map((l) => (s.loads[l] ? range(s.loads[l]!.tool_cpu_pct, 1) : '–')), rss.length ? (Math.max(...rss) / 1024).toFixed(1) : '–']);
  }
  return { head, rows };
}

const mib = (kb: number | null) => (kb === null ? null : kb / 1024);

/** The open storm per tool: CPU while the load ran and up to 1.5 s after (the work left for later included). */
function openStormTable(r: BenchReport): Table {
  const head = ['open load, per tool', 'CPU while it ran, % of one CPU', 'CPU while it ran, ms', 'CPU to 1.5 s after its end, ms', 'load time, ms'];
  const rows: string[][] = [];
  for (const s of r.subjects) {
    const l = s.loads.open;
    if (s.status !== 'ok' || (s.group !== 'perfscope' && s.group !== 'peer') || !l) continue;
    const loadMs = l.ns_per_op.median === null ? null : (l.ns_per_op.median * (r.loads.find((x) => x.name === 'open')?.count ?? 0)) / 1e6;
    rows.push([
      s.label,
      range(l.tool_cpu_pct, 1),
      l.tool_cpu_ms ? range(l.tool_cpu_ms) : '–',
      l.tool_cpu_ms_tail ? range(l.tool_cpu_ms_tail) : '–',
      num(loadMs),
    ]);
  }
  return { head, rows };
}

function selfTable(r: BenchReport): Table {
  const p = r.perfscope!;
  const w = (x: WindowResult | null, f: (w: WindowResult) => number | null, d = 1) => (x ? num(f(x), d) : '–');
  // The peer that starts fastest here, timed in the same run (subjects' "started in").
  const peer = r.subjects.find((s) => s.id === 'bpftrace:execsnoop.bt' && s.status === 'ok');
  const rows: string[][] = [
    ['start → first full frame (80×24 tmux), ms', range(p.startup.frame_ms)],
    ['  beside: bpftrace execsnoop.bt, start → its ready line, ms', peer ? range(peer.ready_ms) : '–'],
    ["start → first frame with an interval's data, ms", range(p.startup.interval_ms)],
    ['start → first --json line (after one 1 s interval), ms', range(p.startup.json_ms)],
    ['  of which: node + perfscope --version, ms', range(p.startup.version_ms)],
    ["  of which: importing the screen (Ink, React: the bundle's screen chunk), ms", range(p.startup.ui_import_ms)],
    [`CPU, idle host, ${p.idle ? Math.round(p.idle.seconds) : '?'} s at -i 1, % of one CPU`, w(p.idle, (x) => x.cpu_pct, 2)],
    ['RSS, idle (max), MiB', w(p.idle, (x) => (x.rss_kb_max === null ? null : x.rss_kb_max / 1024), 1)],
    ['terminal output, idle, bytes/s', w(p.idle, (x) => x.bytes_per_s, 0)],
    [`CPU, event storm (${p.storm_seconds} s), % of one CPU`, w(p.storm, (x) => x.cpu_pct, 1)],
    ['RSS, storm (max), MiB', w(p.storm, (x) => (x.rss_kb_max === null ? null : x.rss_kb_max / 1024), 1)],
    ['frames drawn per second in the storm, fewest (each second)', p.storm ? `${num(p.storm.frames_per_s_min)} (${p.storm.frames_per_s.join(' ')})` : '–'],
    ['  longest time between two frames in the storm, ms', p.storm ? num(p.storm.frame_gap_ms_max) : '–'],
    [
      `RSS ${p.after_storm?.seconds ?? 30} s after the storm, MiB (rest: idle end)`,
      p.after_storm ? `${num(mib(p.after_storm.rss_kb_end), 1)} (rest ${num(mib(p.idle?.rss_kb_end ?? null), 1)})` : '–',
    ],
    [
      '  back within 5 % of rest after, s',
      p.after_storm ? (p.after_storm.back_at_s === null ? `not within ${p.after_storm.seconds} s` : num(p.after_storm.back_at_s)) : '–',
    ],
    ['terminal output, storm, bytes/s', w(p.storm, (x) => x.bytes_per_s, 0)],
  ];
  const t = r.proc_tick ?? { error: 'not measured' };
  rows.push([
    'proc probe: one tick (read /proc + model), ms',
    'error' in t ? `failed: ${t.error}` : `${t.median_ms.toFixed(2)} (${t.min_ms.toFixed(2)}–${t.max_ms.toFixed(2)}), ${t.processes} processes`,
  ]);
  return { head: ['perfscope itself', 'median (min–max)'], rows };
}

/** The Rest goals: ≤ 1 % of one CPU and ≤ 80 MiB at 80×24, ≤ 1.5 % at 160×48, RSS that does not grow. */
const REST_GOALS: Record<string, { cpu: number; rssMiB: number }> = { '80x24': { cpu: 1, rssMiB: 80 }, '160x48': { cpu: 1.5, rssMiB: 80 } };

function restTable(r: BenchReport): Table {
  const rows: string[][] = [];
  const mib = (kb: number | null) => (kb === null ? '–' : (kb / 1024).toFixed(1));
  for (const x of r.rest ?? []) {
    if (x.status !== 'ok') {
      rows.push([x.label, `failed: ${x.reason ?? '?'}`, '', '', '', '']);
      continue;
    }
    const goal = x.size ? REST_GOALS[x.size] : undefined;
    const verdict = goal
      ? [
          x.cpu_pct !== null && x.cpu_pct <= goal.cpu ? `CPU ≤ ${goal.cpu} %: met` : `CPU ≤ ${goal.cpu} %: not met`,
          x.rss_kb_max !== null && x.rss_kb_max / 1024 <= goal.rssMiB ? `RSS ≤ ${goal.rssMiB} MiB: met` : `RSS ≤ ${goal.rssMiB} MiB: not met`,
        ].join('; ')
      : 'peer';
    rows.push([
      x.label,
      num(x.cpu_pct, 2),
      mib(x.rss_kb_max),
      `${mib(x.rss_kb_first)} → ${mib(x.rss_kb_last)}`,
      x.rss_growth_pct === null ? '–' : `${x.rss_growth_pct >= 0 ? '+' : ''}${x.rss_growth_pct.toFixed(1)} %`,
      verdict,
    ]);
  }
  return {
    head: [
      `at rest, idle host, ${Math.round(r.rest?.find((x) => x.status === 'ok')?.seconds ?? 0)} s each`,
      'CPU, % of one CPU',
      'RSS max, MiB',
      'RSS first → last 5 s, MiB',
      'RSS growth',
      'goal',
    ],
    rows,
  };
}

function failedTable(r: BenchReport): Table {
  return {
    head: ['did not run', 'why (first line of its error)'],
    rows: r.subjects.filter((s) => s.status === 'failed').map((s) => [s.label, s.reason ?? '?']),
  };
}

function notesTable(r: BenchReport): Table {
  return {
    head: ['subject', 'started in, ms', 'programs', 'notes'],
    rows: r.subjects.filter((s) => s.status === 'ok').map((s) => [s.label, range(s.ready_ms), String(s.prog_count), s.notes.join('; ')]),
  };
}

function textTable(t: Table): string {
  const w = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])))
      .join('  ')
      .trimEnd();
  return [line(t.head), w.map((x) => '─'.repeat(x)).join('  '), ...t.rows.map(line)].join('\n');
}

function mdTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${t.head.map(esc).join(' | ')} |`,
    `|${t.head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The consoles-at-rest goals (issue 30), from the cells of one run. */
export function consoleGoals(c: ConsolesReport): string[][] {
  const cell = (con: string, extra: number, size: string): ConsoleCell | undefined =>
    c.cells.find((x) => x.console === con && x.extra_tasks === extra && x.size === size && x.status === 'ok');
  const loads = [...new Set(c.cells.map((x) => x.extra_tasks))];
  const sizes = [...new Set(c.cells.map((x) => x.size))];
  const rows: string[][] = [];
  const yes = (b: boolean | null) => (b === null ? 'not measured' : b ? '**met**' : '**not met**');
  // CPU at rest ≤ btop's, every load and size.
  const cpu: string[] = [];
  let cpuOk: boolean | null = true;
  for (const e of loads)
    for (const z of sizes) {
      const p = cell('perfscope', e, z);
      const b = cell('btop', e, z);
      if (!p || !b || p.cpu_pct === null || b.cpu_pct === null) {
        cpuOk = null;
        continue;
      }
      cpu.push(`${e}/${z}: ${p.cpu_pct.toFixed(2)} vs ${b.cpu_pct.toFixed(2)}`);
      if (cpuOk !== null && p.cpu_pct > b.cpu_pct) cpuOk = false;
    }
  rows.push(["CPU at rest ≤ btop's (extra tasks/size: perfscope vs btop, %)", cpu.join('; ') || '–', yes(cpuOk)]);
  // Growth from the idle host to the most tasks < 20 %.
  const most = Math.max(...loads);
  const growth: string[] = [];
  let growthOk: boolean | null = true;
  for (const z of sizes) {
    const a = cell('perfscope', 0, z);
    const b = cell('perfscope', most, z);
    if (!a || !b || !a.cpu_pct || b.cpu_pct === null) {
      growthOk = null;
      continue;
    }
    const g = (100 * (b.cpu_pct - a.cpu_pct)) / a.cpu_pct;
    growth.push(`${z}: ${g >= 0 ? '+' : ''}${g.toFixed(0)} %`);
    if (growthOk !== null && g >= 20) growthOk = false;
  }
  rows.push([`perfscope's CPU grows < 20 % from the idle host to ${most} extra tasks`, growth.join('; ') || '–', yes(growthOk)]);
  const p80 = cell('perfscope', 0, '80x24');
  const rss = p80?.rss_kb_last ?? null;
  rows.push([
    `RSS ≤ 64 MiB at 80x24, idle host (after ${c.settle_s + c.window_s} s here; the goal is after 10 minutes: the soak)`,
    rss === null ? '–' : `${(rss / 1024).toFixed(1)} MiB`,
    yes(rss === null ? null : rss / 1024 <= 64),
  ]);
  const ff: string[] = [];
  let ffOk: boolean | null = true;
  for (const e of loads)
    for (const z of sizes) {
      const p = cell('perfscope', e, z);
      const h = cell('htop', e, z);
      if (!p || !h || p.first_frame_ms === null) {
        ffOk = null;
        continue;
      }
      // htop without a frame in the 15 s it was given: later than perfscope's.
      ff.push(`${e}/${z}: ${p.first_frame_ms} vs ${h.first_frame_ms ?? '> 15000'}`);
      if (ffOk !== null && h.first_frame_ms !== null && p.first_frame_ms > h.first_frame_ms) ffOk = false;
    }
  rows.push(["first frame no later than htop's (perfscope vs htop, ms)", ff.join('; ') || '–', yes(ffOk)]);
  return rows;
}

function consolesTable(c: ConsolesReport): Table {
  const rows: string[][] = [];
  const mib = (kb: number | null) => (kb === null ? '–' : (kb / 1024).toFixed(1));
  for (const x of c.cells) {
    const load = x.extra_tasks ? `+${x.extra_tasks} ${c.task_kind}` : 'idle host';
    if (x.status !== 'ok') {
      rows.push([load, x.size, x.console, `failed: ${x.reason ?? '?'}`, '', '', '']);
      continue;
    }
    rows.push([
      load,
      x.size,
      x.console,
      num(x.cpu_pct, 2),
      mib(x.rss_kb_last),
      mib(x.rss_kb_max),
      x.first_frame_ms === null ? 'none in 15 s' : String(x.first_frame_ms),
    ]);
  }
  return { head: ['load', 'size', 'console', 'CPU, % of one CPU', 'RSS end, MiB', 'RSS max, MiB', 'first frame, ms'], rows };
}

function consolesSections(r: BenchReport): [string, Table][] {
  const c = r.consoles;
  if (!c) return [];
  const tasks = Object.entries(c.host_tasks)
    .map(([e, n]) => `${e === '0' ? 'idle' : `+${e}`}: ${n}`)
    .join(', ');
  const out: [string, Table][] = [
    [
      `Consoles at rest, ${c.apart ? 'each alone in turn' : 'side by side'}: perfscope (default probes), btop and htop (1 s refresh each), in tmux; ${c.settle_s} s to settle, ${c.window_s} s measured ${c.apart ? 'alone' : 'together'}; CPU = run time of each one's process tree (schedstat); host tasks (threads) ${tasks}${c.missing.length ? `; not installed: ${c.missing.join(', ')}` : ''}`,
      consolesTable(c),
    ],
    ['Goals of issue 30, from this run', { head: ['goal', 'measured', 'met?'], rows: consoleGoals(c) }],
  ];
  return out;
}

function sections(r: BenchReport): [string, Table][] {
  if (!r.perfscope) return consolesSections(r);
  const out: [string, Table][] = [
    ['BPF cost per event: median (min–max) ns per program run; ×N = ratio to the empty floor program, same round', costTable(r)],
    ['BPF time per load operation, ns (program runs per operation)', perOpTable(r)],
    [
      "Scheduler hooks: BPF ns per context switch during the switch load (all of a subject's program runs ÷ the host's context switches, /proc/stat ctxt; × floor: ÷ the empty program's, same round; last column: ratio of medians)",
      switchTable(r, SWITCH_REFERENCE),
    ],
    ['Slowdown of each load: time per operation with the subject ÷ without (interleaved runs, ratio of medians, (min–max) of the pairs)', slowdownTable(r)],
    ["CPU used by the tools' own processes while each load ran (user space and their syscalls; not the BPF time, which the load's tasks pay)", toolCpuTable(r)],
    [
      'The open storm: tool CPU while the load ran and up to 1.5 s after its end (perfscope --json decodes and writes an interval at its end; a load a tool slows down runs longer, so compare the ms too)',
      openStormTable(r),
    ],
    ['perfscope itself', selfTable(r)],
    ['Start-up and programs', notesTable(r)],
  ];
  if (r.rest?.length) {
    out.splice(out.findIndex(([t]) => t === 'perfscope itself') + 1, 0, [
      `perfscope at rest with every probe on (--probes ${r.rest.find((x) => x.probes)?.probes ?? '?'}), beside peers at rest: CPU as the run time of all threads (schedstat), RSS (VmRSS) each second; growth = median of the last 5 samples ÷ the first 5`,
      restTable(r),
    ]);
  }
  out.push(...consolesSections(r));
  const failed = failedTable(r);
  if (failed.rows.length) out.push(['Peers (and probes) that did not start here', failed]);
  return out;
}

function header(r: BenchReport): string {
  const m = r.meta;
  return (
    `perfscope bench (${m.mode}, ${m.rounds} rounds, ${Math.round(m.duration_s)} s) on ${m.host}: ${m.cpu_model}, ${m.cpus} CPUs, ` +
    `Linux ${m.kernel}, Node ${m.node}, ${m.date}; load average at start ${m.load_avg_at_start}\n` +
    `loads: ${r.loads.map((l) => `${l.name} = ${l.count} × ${l.op}`).join('; ')}; context switches by ${m.switch_load}\n` +
    `BPF run statistics: ${m.stats}; tracefs: ${m.tracefs}; peers: ${m.peers_install}; left behind: ${m.left_behind}`
  );
}

export function renderText(r: BenchReport): string {
  return [header(r), ...sections(r).map(([title, t]) => `\n${title}\n${textTable(t)}`)].join('\n') + '\n';
}

export function renderMarkdown(r: BenchReport): string {
  const h = header(r)
    .split('\n')
    .map((l) => `${l}  `)
    .join('\n');
  return [h, ...sections(r).map(([title, t]) => `\n**${title}**\n\n${mdTable(t)}`)].join('\n') + '\n';
}
