// Readers for the /proc files behind sysstat and procps. Each takes the root of a proc filesystem
// (tests point it at fixture trees under test/proc/fixtures) and returns raw cumulative counters;
// the model (model.ts) turns two of them into rates and percentages.
//
// Hand-written parsers on purpose: every file here is a few lines of space-separated numbers whose
// layout the kernel documents (proc(5), Documentation/admin-guide/iostats.rst); no library would be
// smaller than these functions, and a parser error must name the file and line, which we do.
//
// Nothing read here needs root: all these files are world-readable (for other users' processes,
// /proc/PID/stat hides only addresses and wchan, not the times we use).
import { readdirSync, readFileSync } from 'node:fs';
import { escapeBytes, escapeText } from '../strings.js';
import type { CpuTimes, RawDisk, RawLoadavg, RawMeminfo, RawNetDev, RawProc, RawSample, RawStat, RawVmstat } from './types.js';

/** A parse error that names the file and the 1-based line, as `file:line: message`. */
export function parseError(file: string, line: number, msg: string): Error {
  return new Error(`${file}:${line}: ${msg}`);
}

/** A non-negative integer counter (or signed where the kernel prints one, e.g. MaxConn -1). */
function num(tok: string | undefined, file: string, line: number, what: string): number {
  if (tok === undefined || !/^-?\d+$/.test(tok)) throw parseError(file, line, `${what}: expected an integer, got ${JSON.stringify(tok ?? '')}`);
  return Number(tok);
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** Read a file that may legitimately not exist (diskstats in some containers, net/* without a netns): null then. */
function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'latin1');
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

// ---- /proc/stat ----

const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'] as const;

function cpuTimes(toks: string[], file: string, line: number): CpuTimes {
  // Kernels before 2.6.33 lack guest_nice, before 2.6.24 guest...: missing trailing fields are 0.
  if (toks.length < 5) throw parseError(file, line, `${toks[0]}: expected at least 4 time fields`);
  const t = {} as CpuTimes;
  CPU_FIELDS.forEach((f, i) => {
    const tok = toks[i + 1];
    t[f] = tok === undefined ? 0 : num(tok, file, line, `${toks[0]} ${f}`);
  });
  return t;
}

export function parseStat(text: string, file = '/proc/stat'): RawStat {
  const s: RawStat = { cpus: new Map(), total: null, intr: 0, ctxt: 0, procsRunning: 0, procsBlocked: 0 };
  lines(text).forEach((l, i) => {
    const ln = i + 1;
    const toks = l.trim().split(/\s+/);
    const key = toks[0];
    if (key === 'cpu') s.total = cpuTimes(toks, file, ln);
    else if (key.startsWith('cpu')) {
      const id = key.slice(3);
      if (!/^\d+$/.test(id)) throw parseError(file, ln, `bad CPU line ${JSON.stringify(key)}`);
      s.cpus.set(Number(id), cpuTimes(toks, file, ln));
    } else if (key === 'intr') s.intr = num(toks[1], file, ln, 'intr');
    else if (key === 'ctxt') s.ctxt = num(toks[1], file, ln, 'ctxt');
    else if (key === 'procs_running') s.procsRunning = num(toks[1], file, ln, 'procs_running');
    else if (key === 'procs_blocked') s.procsBlocked = num(toks[1], file, ln, 'procs_blocked');
  });
  return s;
}

export function readStat(root = '/proc'): RawStat {
  const file = `${root}/stat`;
  return parseStat(readFileSync(file, 'latin1'), file);
}

// ---- /proc/meminfo ----

export function parseMeminfo(text: string, file = '/proc/meminfo'): RawMeminfo {
  const m: RawMeminfo = {};
  lines(text).forEach((l, i) => {
    if (!l.trim()) return;
    const x = /^([^:\s]+):\s*(\d+)(?:\s+kB)?\s*$/.exec(l);
    if (!x) throw parseError(file, i + 1, `expected "Name: value [kB]", got ${JSON.stringify(l)}`);
    m[x[1]] = Number(x[2]);
  });
  if (m.MemTotal === undefined) throw parseError(file, 1, 'no MemTotal');
  return m;
}

export function readMeminfo(root = '/proc'): RawMeminfo {
  const file = `${root}/meminfo`;
  return parseMeminfo(readFileSync(file, 'latin1'), file);
}

// ---- /proc/vmstat ----

export function parseVmstat(text: string, file = '/proc/vmstat'): RawVmstat {
  const v: RawVmstat = {};
  lines(text).forEach((l, i) => {
    if (!l.trim()) return;
    const toks = l.trim().split(/\s+/);
    if (toks.length !== 2) throw parseError(file, i + 1, `expected "name value", got ${JSON.stringify(l)}`);
    v[toks[0]] = num(toks[1], file, i + 1, toks[0]);
  });
  return v;
}

export function readVmstat(root = '/proc'): RawVmstat | null {
  const file = `${root}/vmstat`;
  const t = readOptional(file);
  return t === null ? null : parseVmstat(t, file);
}

// ---- /proc/diskstats ----

export function parseDiskstats(text: string, file = '/proc/diskstats'): Map<string, RawDisk> {
  const out = new Map<string, RawDisk>();
  lines(text).forEach((l, i) => {
    const ln = i + 1;
    if (!l.trim()) return;
    const t = l.trim().split(/\s+/);
    // major minor name + 11 fields (2.6.25+), + 4 discard fields (4.18+), + 2 flush fields (5.5+).
    if (t.length < 14) throw parseError(file, ln, `expected at least 14 fields, got ${t.length}`);
    const f = (k: number, what: string): number => (t[k + 2] === undefined ? 0 : num(t[k + 2], file, ln, `${t[2]} ${what}`));
    const name = escapeText(t[2]);
    out.set(name, {
      major: num(t[0], file, ln, 'major'),
      minor: num(t[1], file, ln, 'minor'),
      name,
      reads: f(1, 'reads'),
      readsMerged: f(2, 'reads merged'),
      readSectors: f(3, 'sectors read'),
      readMs: f(4, 'read ms'),
      writes: f(5, 'writes'),
      writesMerged: f(6, 'writes merged'),
      writeSectors: f(7, 'sectors written'),
      writeMs: f(8, 'write ms'),
      inFlight: f(9, 'in flight'),
      ioMs: f(10, 'io ms'),
      weightedMs: f(11, 'weighted ms'),
      discards: f(12, 'discards'),
      flushes: f(16, 'flushes'),
    });
  });
  return out;
}

export function readDiskstats(root = '/proc'): Map<string, RawDisk> {
  const file = `${root}/diskstats`;
  const t = readOptional(file);
  return t === null ? new Map() : parseDiskstats(t, file);
}

// ---- /proc/net/dev ----

export function parseNetDev(text: string, file = '/proc/net/dev'): Map<string, RawNetDev> {
  const out = new Map<string, RawNetDev>();
  lines(text).forEach((l, i) => {
    const ln = i + 1;
    if (ln <= 2 || !l.trim()) return; // two header lines
    // Interface names cannot contain ':' (dev_valid_name), and the first number may touch it.
    const c = l.indexOf(':');
    if (c < 0) throw parseError(file, ln, `expected "iface: counters", got ${JSON.stringify(l)}`);
    const name = escapeText(l.slice(0, c).trim());
    const t = l.slice(c + 1).trim().split(/\s+/);
    if (t.length < 16) throw parseError(file, ln, `${name}: expected 16 counters, got ${t.length}`);
    out.set(name, {
      rxBytes: num(t[0], file, ln, `${name} rx bytes`),
      rxPackets: num(t[1], file, ln, `${name} rx packets`),
      txBytes: num(t[8], file, ln, `${name} tx bytes`),
      txPackets: num(t[9], file, ln, `${name} tx packets`),
    });
  });
  return out;
}

export function readNetDev(root = '/proc'): Map<string, RawNetDev> {
  const file = `${root}/net/dev`;
  const t = readOptional(file);
  return t === null ? new Map() : parseNetDev(t, file);
}

// ---- /proc/net/snmp ----

/** The "Tcp:" section: a header line of names followed by a line of values. */
export function parseSnmpTcp(text: string, file = '/proc/net/snmp'): Record<string, number> | null {
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    if (!ls[i].startsWith('Tcp:')) continue;
    const names = ls[i].slice(4).trim().split(/\s+/);
    const vl = ls[i + 1];
    if (vl === undefined || !vl.startsWith('Tcp:')) throw parseError(file, i + 2, 'Tcp: header without a line of values');
    const vals = vl.slice(4).trim().split(/\s+/);
    if (vals.length !== names.length) throw parseError(file, i + 2, `Tcp: ${names.length} names but ${vals.length} values`);
    const out: Record<string, number> = {};
    names.forEach((n, k) => (out[n] = num(vals[k], file, i + 2, `Tcp ${n}`)));
    return out;
  }
  return null;
}

export function readSnmp(root = '/proc'): Record<string, number> | null {
  const file = `${root}/net/snmp`;
  const t = readOptional(file);
  return t === null ? null : parseSnmpTcp(t, file);
}

// ---- /proc/loadavg ----

export function parseLoadavg(text: string, file = '/proc/loadavg'): RawLoadavg {
  const x = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\/(\d+) (\d+)\s*$/.exec(text.split('\n')[0]);
  if (!x) throw parseError(file, 1, `expected "l1 l5 l15 runnable/tasks lastpid", got ${JSON.stringify(text.split('\n')[0])}`);
  return { load1: Number(x[1]), load5: Number(x[2]), load15: Number(x[3]), runnable: Number(x[4]), tasks: Number(x[5]), lastPid: Number(x[6]) };
}

export function readLoadavg(root = '/proc'): RawLoadavg {
  const file = `${root}/loadavg`;
  return parseLoadavg(readFileSync(file, 'latin1'), file);
}

// ---- /proc/PID/stat ----

/**
 * Parse /proc/PID/stat. comm is whatever the process chose (prctl(PR_SET_NAME) allows spaces,
 * parentheses and control bytes, and stat prints it raw), so it ends at the LAST ')' of the file;
 * its bytes are escaped with escapeBytes — the byte-level form of escapeText, which also keeps
 * invalid UTF-8 visible as \xNN instead of turning it into U+FFFD.
 */
export function parsePidStat(buf: Buffer, file: string): RawProc {
  const open = buf.indexOf(0x28); // '('
  const close = buf.lastIndexOf(0x29); // ')'
  if (open < 0 || close < open) throw parseError(file, 1, 'no "(comm)"');
  const pid = num(buf.toString('latin1', 0, open).trim(), file, 1, 'pid');
  const comm = escapeBytes(buf.subarray(open + 1, close));
  // rest[0] is field 3 (state): field k of proc(5) is rest[k - 3].
  const rest = buf.toString('latin1', close + 1).trim().split(' ');
  if (rest.length < 37) throw parseError(file, 1, `expected at least 39 fields, got ${rest.length + 2}`);
  const f = (k: number, what: string): number => num(rest[k - 3], file, 1, what);
  return {
    pid,
    comm,
    state: rest[0],
    utime: f(14, 'utime'),
    stime: f(15, 'stime'),
    starttime: f(22, 'starttime'),
    processor: f(39, 'processor'),
    guest: rest.length >= 41 ? f(43, 'guest_time') : 0,
  };
}

/**
 * Every process of the root (not threads: /proc lists thread group leaders, whose times include
 * all their threads, as pidstat without -t). Processes that exit between the directory listing and
 * the read (ENOENT, ESRCH, or an empty read) are skipped silently.
 */
export function readPids(root = '/proc'): Map<number, RawProc> {
  const out = new Map<number, RawProc>();
  for (const name of readdirSync(root)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57 || !/^\d+$/.test(name)) continue;
    const file = `${root}/${name}/stat`;
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      if (isMissing(e)) continue;
      throw e;
    }
    if (buf.length === 0) continue;
    const p = parsePidStat(buf, file);
    out.set(p.pid, p);
  }
  return out;
}

/** One tick: every file, with a monotonic timestamp taken before the reads. */
export function readRaw(root = '/proc', clock: () => bigint = process.hrtime.bigint): RawSample {
  const tNs = clock();
  return {
    tNs,
    stat: readStat(root),
    meminfo: readMeminfo(root),
    vmstat: readVmstat(root),
    disks: readDiskstats(root),
    net: readNetDev(root),
    tcp: readSnmp(root),
    loadavg: readLoadavg(root),
    procs: readPids(root),
  };
}
