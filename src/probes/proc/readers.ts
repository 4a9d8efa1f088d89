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
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { cutText, escapeBytes, escapeText } from '../strings.js';
import type { CpuTimes, RawDisk, RawLoadavg, RawMeminfo, RawNetDev, RawProc, RawSample, RawStat, RawVmstat } from './types.js';

/** What every parser here throws for text that is not of its file's format (and nothing else). */
export class ProcParseError extends Error {
  override readonly name = 'ProcParseError';
}

/** A parse error that names the file and the 1-based line, as `file:line: message`. */
export function parseError(file: string, line: number, msg: string): ProcParseError {
  // The message may name what the file holds (a CPU line's key, an IRQ's name): escaped, and bounded.
  return new ProcParseError(`${file}:${line}: ${cutText(escapeText(msg), 300)}`);
}

/** Quoted file contents for an error: at most 80 characters, escaped (a line may hold anything, of any length). */
export function quote(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return JSON.stringify(escapeBytes(Buffer.from(cut, 'latin1')));
}

const TWO63 = 2n ** 63n;
const TWO64 = 2n ** 64n;

/**
 * A decimal integer token as a number, or NaN when it is not one. No regex: this runs for every
 * field of every file each tick.
 *
 * Unsigned 64-bit counters (sectors in diskstats, bytes in net/dev on 64-bit kernels) can exceed
 * 2^53, where a double loses integer precision. Tokens of 16+ digits go through BigInt, and a value
 * at or above 2^63 is stored as the signed 64-bit integer with the same bits (2^64 - 616 becomes
 * -616): near a 64-bit wrap both sides are then exact, and `cur - prev` is the exact increase across
 * the wrap (see counterDelta in model.ts). Counters never get near 2^63 in practice; the point is
 * that a wrap is computed right, not as a 1.8e19 spike.
 */
export function parseCounter(tok: string): number {
  const n = tok.length;
  let i = 0;
  let neg = false;
  if (n > 0 && tok.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  if (i === n) return NaN;
  if (n - i > 15) {
    for (let k = i; k < n; k++) {
      const c = tok.charCodeAt(k);
      if (c < 48 || c > 57) return NaN;
    }
    let b = BigInt(tok);
    if (b >= TWO64 || b < -TWO63) return NaN;
    if (b >= TWO63) b -= TWO64;
    return Number(b);
  }
  let v = 0;
  for (; i < n; i++) {
    const c = tok.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** An integer field (a counter, or signed where the kernel prints one, e.g. MaxConn -1). */
function num(tok: string | undefined, file: string, line: number, what: string): number {
  const v = tok === undefined ? NaN : parseCounter(tok);
  if (Number.isNaN(v)) throw parseError(file, line, `${what}: expected an integer, got ${quote(tok ?? '')}`);
  return v;
}

/** Space- or tab-separated tokens of a line (no regex). */
function fields(l: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= l.length; i++) {
    const c = i < l.length ? l.charCodeAt(i) : 32;
    if (c === 32 || c === 9) {
      if (start >= 0) out.push(l.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  return out;
}

/** A file of this process's /proc that may go away while we read it (the process exited), or that we may not read (hidepid=1/2). */
function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM';
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// One buffer for every read of a tick, grown when a file does not fit (a many-CPU /proc/stat).
// readFileSync costs several times more on procfs: files report size 0, so it fstat()s, reads in
// growing chunks and allocates a new Buffer each time; openSync + readSync into this buffer is one
// open, one or two reads and a close.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Read a whole file into the scratch buffer and return its length (the bytes are valid until the
 * next call). `once`: a single read() is the whole file when it does not fill the buffer (true of
 * /proc/PID/stat, generated in one go by the kernel); otherwise read until EOF.
 */
function readInto(file: string, once: boolean): number {
  const fd = openSync(file, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, len);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, len, scratch.length - len, null);
      len += n;
      if (n === 0 || (once && len < scratch.length)) return len;
    }
  } finally {
    closeSync(fd);
  }
}

function readText(file: string): string {
  const len = readInto(file, false);
  return scratch.toString('latin1', 0, len);
}

/** Read a file that may legitimately not exist (diskstats in some containers, net/* without a netns): null then. */
function readOptional(file: string): string | null {
  try {
    return readText(file);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/**
 * A name from a file read as latin1 (one char per byte): back to its bytes, then escaped, so UTF-8
 * names show as themselves and anything else as \xNN (escaping the latin1 string's UTF-8 would
 * re-encode every byte above 0x7f).
 */
function nameOf(latin1: string): string {
  return escapeBytes(Buffer.from(latin1, 'latin1'));
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

/** The first value after the key of a "key v1 v2 ..." line, without splitting the rest (intr has one field per IRQ). */
function firstValue(l: string, key: string, file: string, line: number): number {
  let i = key.length;
  while (l.charCodeAt(i) === 32) i++;
  let j = l.indexOf(' ', i);
  if (j < 0) j = l.length;
  return num(l.slice(i, j), file, line, key);
}

export function parseStat(text: string, file = '/proc/stat'): RawStat {
  const s: RawStat = { cpus: new Map(), total: null, intr: 0, ctxt: 0, procsRunning: 0, procsBlocked: 0 };
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const ln = i + 1;
    const l = ls[i];
    if (l.startsWith('cpu')) {
      const toks = fields(l);
      const key = toks[0];
      if (key === 'cpu') s.total = cpuTimes(toks, file, ln);
      else {
        const id = parseCounter(key.slice(3));
        if (!(id >= 0)) throw parseError(file, ln, `bad CPU line ${quote(key)}`);
        s.cpus.set(id, cpuTimes(toks, file, ln));
      }
    } else if (l.startsWith('intr ')) s.intr = firstValue(l, 'intr', file, ln);
    else if (l.startsWith('ctxt ')) s.ctxt = firstValue(l, 'ctxt', file, ln);
    else if (l.startsWith('procs_running ')) s.procsRunning = firstValue(l, 'procs_running', file, ln);
    else if (l.startsWith('procs_blocked ')) s.procsBlocked = firstValue(l, 'procs_blocked', file, ln);
  }
  return s;
}

export function readStat(root = '/proc'): RawStat {
  const file = `${root}/stat`;
  return parseStat(readText(file), file);
}

// ---- /proc/meminfo ----

export function parseMeminfo(text: string, file = '/proc/meminfo'): RawMeminfo {
  const m: RawMeminfo = {};
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (!l.trim()) continue;
    const c = l.indexOf(':');
    const v = c > 0 ? fields(l.slice(c + 1)) : [];
    const value = v.length === 1 || (v.length === 2 && v[1] === 'kB') ? parseCounter(v[0]) : NaN;
    if (!(value >= 0) || l.slice(0, c).includes(' ')) throw parseError(file, i + 1, `expected "Name: value [kB]", got ${quote(l)}`);
    m[l.slice(0, c)] = value;
  }
  if (m.MemTotal === undefined) throw parseError(file, 1, 'no MemTotal');
  return m;
}

export function readMeminfo(root = '/proc'): RawMeminfo {
  const file = `${root}/meminfo`;
  return parseMeminfo(readText(file), file);
}

// ---- /proc/vmstat ----

export function parseVmstat(text: string, file = '/proc/vmstat'): RawVmstat {
  const v: RawVmstat = {};
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    const sp = l.indexOf(' ');
    if (!l.trim()) continue;
    if (sp <= 0 || l.indexOf(' ', sp + 1) >= 0) throw parseError(file, i + 1, `expected "name value", got ${quote(l)}`);
    const name = l.slice(0, sp);
    v[name] = num(l.slice(sp + 1), file, i + 1, name);
  }
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
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const ln = i + 1;
    const t = fields(ls[i]);
    if (t.length === 0) continue;
    // major minor name + 11 fields (2.6.25+), + 4 discard fields (4.18+), + 2 flush fields (5.5+).
    if (t.length < 14) throw parseError(file, ln, `expected at least 14 fields, got ${t.length}`);
    const f = (k: number, what: string): number => (t[k + 2] === undefined ? 0 : num(t[k + 2], file, ln, `${t[2]} ${what}`));
    const name = nameOf(t[2]);
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
  }
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
  const ls = lines(text);
  for (let i = 2; i < ls.length; i++) {
    // two header lines
    const ln = i + 1;
    const l = ls[i];
    if (!l.trim()) continue;
    // Interface names cannot contain ':' (dev_valid_name), and the first number may touch it.
    const c = l.indexOf(':');
    if (c < 0) throw parseError(file, ln, `expected "iface: counters", got ${quote(l)}`);
    const name = nameOf(l.slice(0, c).trim());
    const t = fields(l.slice(c + 1));
    if (t.length < 16) throw parseError(file, ln, `${name}: expected 16 counters, got ${t.length}`);
    out.set(name, {
      rxBytes: num(t[0], file, ln, `${name} rx bytes`),
      rxPackets: num(t[1], file, ln, `${name} rx packets`),
      rxDrop: num(t[3], file, ln, `${name} rx drop`),
      txBytes: num(t[8], file, ln, `${name} tx bytes`),
      txPackets: num(t[9], file, ln, `${name} tx packets`),
      txDrop: num(t[11], file, ln, `${name} tx drop`),
    });
  }
  return out;
}

export function readNetDev(root = '/proc'): Map<string, RawNetDev> {
  const file = `${root}/net/dev`;
  const t = readOptional(file);
  return t === null ? new Map() : parseNetDev(t, file);
}

// ---- /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6 ----

/**
 * Every section of a file of paired lines, "Name: field field ..." then "Name: value value ..."
 * (/proc/net/snmp: Ip, Icmp, Tcp, Udp, ...; /proc/net/netstat: TcpExt, IpExt, MPTcpExt), by
 * section name.
 */
export function parseSnmpSections(text: string, file = '/proc/net/snmp'): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (!l.trim()) continue;
    const c = l.indexOf(':');
    if (c <= 0) throw parseError(file, i + 1, `expected "Section: names", got ${quote(l)}`);
    const sec = l.slice(0, c);
    const names = fields(l.slice(c + 1));
    const vl = ls[i + 1];
    if (vl === undefined || !vl.startsWith(`${sec}:`)) throw parseError(file, i + 2, `${sec}: header without a line of values`);
    const vals = fields(vl.slice(c + 1));
    if (vals.length !== names.length) throw parseError(file, i + 2, `${sec}: ${names.length} names but ${vals.length} values`);
    const rec: Record<string, number> = {};
    names.forEach((n, k) => (rec[n] = num(vals[k], file, i + 2, `${sec} ${n}`)));
    out.set(sec, rec);
    i++;
  }
  return out;
}

/** The "Tcp:" section: a header line of names followed by a line of values. */
export function parseSnmpTcp(text: string, file = '/proc/net/snmp'): Record<string, number> | null {
  return parseSnmpSections(text, file).get('Tcp') ?? null;
}

export function readSnmp(root = '/proc'): Record<string, number> | null {
  const file = `${root}/net/snmp`;
  const t = readOptional(file);
  return t === null ? null : parseSnmpTcp(t, file);
}

/** Every section of /proc/net/snmp (empty when the file does not exist). */
export function readSnmpAll(root = '/proc'): Map<string, Record<string, number>> {
  const file = `${root}/net/snmp`;
  const t = readOptional(file);
  return t === null ? new Map() : parseSnmpSections(t, file);
}

/** Every section of /proc/net/netstat (TcpExt, IpExt, ...; empty when the file does not exist). */
export function readNetstat(root = '/proc'): Map<string, Record<string, number>> {
  const file = `${root}/net/netstat`;
  const t = readOptional(file);
  return t === null ? new Map() : parseSnmpSections(t, file);
}

/** /proc/net/snmp6: one "Name value" per line (Udp6RcvbufErrors 0). */
export function parseSnmp6(text: string, file = '/proc/net/snmp6'): Record<string, number> {
  const out: Record<string, number> = {};
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const t = fields(ls[i]);
    if (t.length === 0) continue;
    if (t.length !== 2) throw parseError(file, i + 1, `expected "Name value", got ${quote(ls[i])}`);
    out[t[0]] = num(t[1], file, i + 1, t[0]);
  }
  return out;
}

/** /proc/net/snmp6, or null when the file does not exist (no IPv6). */
export function readSnmp6(root = '/proc'): Record<string, number> | null {
  const file = `${root}/net/snmp6`;
  const t = readOptional(file);
  return t === null ? null : parseSnmp6(t, file);
}

// ---- /proc/interrupts, /proc/softirqs ----

/** One source of /proc/interrupts: its id ("24", "LOC"), its counts by CPU column and its description. */
export interface RawIrq {
  readonly irq: string;
  /** One count per column of the header (CPUs without a count: 0). */
  readonly counts: readonly number[];
  /** What follows the counts: "IO-APIC 5-edge ACPI:Ged", "Local timer interrupts". Escaped. */
  readonly desc: string;
}

export interface RawInterrupts {
  /** The CPU of each column ("CPU0 CPU1 CPU3": [0, 1, 3]; offline CPUs have none). */
  readonly cpus: readonly number[];
  readonly rows: readonly RawIrq[];
}

function cpuHeader(l: string, file: string): number[] {
  return fields(l).map((tok) => {
    const n = tok.startsWith('CPU') ? parseCounter(tok.slice(3)) : NaN;
    if (!(n >= 0)) throw parseError(file, 1, `expected a header of CPUn columns, got ${quote(tok)}`);
    return n;
  });
}

/**
 * /proc/interrupts: a header of CPU columns, then one line per source, "ID: count... description".
 * A count token is decimal; the description starts at the first token that is not (ERR and MIS
 * have a single count; devices add the chip, the hardware IRQ and the handlers' names).
 */
/**
 * A table of CPU columns (/proc/interrupts, /proc/softirqs): a header naming the CPUs, then one
 * "NAME: tokens" line per source, each turned into a row by `row` (given the name as written, the
 * tokens after the colon and the line number).
 */
function perCpuTable(text: string, file: string, what: string, row: (name: string, t: string[], line: number, cpus: number[]) => RawIrq): RawInterrupts {
  const ls = lines(text);
  if (ls.length === 0) throw parseError(file, 1, 'empty');
  const cpus = cpuHeader(ls[0], file);
  const rows: RawIrq[] = [];
  for (let i = 1; i < ls.length; i++) {
    const l = ls[i];
    if (!l.trim()) continue;
    const c = l.indexOf(':');
    if (c <= 0) throw parseError(file, i + 1, `expected "${what}: counts", got ${quote(l)}`);
    rows.push(row(l.slice(0, c).trim(), fields(l.slice(c + 1)), i + 1, cpus));
  }
  return { cpus, rows };
}

export function parseInterrupts(text: string, file = '/proc/interrupts'): RawInterrupts {
  return perCpuTable(text, file, 'ID', (name, t, line, cpus) => {
    const irq = nameOf(name);
    const counts: number[] = [];
    let k = 0;
    for (; k < t.length && counts.length < cpus.length; k++) {
      const v = parseCounter(t[k]);
      if (!(v >= 0)) break;
      counts.push(v);
    }
    if (counts.length === 0) throw parseError(file, line, `${irq}: no count`);
    while (counts.length < cpus.length) counts.push(0);
    return { irq, counts, desc: nameOf(t.slice(k).join(' ')) };
  });
}

export function readInterrupts(root = '/proc'): RawInterrupts {
  const file = `${root}/interrupts`;
  return parseInterrupts(readText(file), file);
}

/** /proc/softirqs: a header of CPU columns, then "NAME: count..." (HI, TIMER, NET_TX, NET_RX, ...). */
export function parseSoftirqs(text: string, file = '/proc/softirqs'): RawInterrupts {
  return perCpuTable(text, file, 'NAME', (name, t, line, cpus) => {
    if (t.length !== cpus.length) throw parseError(file, line, `${name}: ${cpus.length} CPUs but ${t.length} counts`);
    return { irq: nameOf(name), counts: t.map((v, k) => num(v, file, line, `${name} CPU${cpus[k]}`)), desc: '' };
  });
}

export function readSoftirqs(root = '/proc'): RawInterrupts {
  const file = `${root}/softirqs`;
  return parseSoftirqs(readText(file), file);
}

// ---- /proc/net/softnet_stat ----

/** One CPU's line of softnet_stat (hex counters, net/core/net-procfs.c). */
export interface RawSoftnet {
  /** Packets taken off the backlog and processed. */
  processed: number;
  /** Packets dropped because the backlog was full (netdev_max_backlog). */
  dropped: number;
  /** NAPI runs that stopped with work left (netdev_budget or its time ran out). */
  timeSqueeze: number;
  /** Packets in the backlog now (kernel 6.x, 13th column), or null. */
  backlog: number | null;
}

function hexField(tok: string | undefined, file: string, line: number, what: string): number {
  const v = tok !== undefined && /^[0-9a-f]{1,16}$/i.test(tok) ? parseInt(tok, 16) : NaN;
  if (Number.isNaN(v)) throw parseError(file, line, `${what}: expected a hex counter, got ${quote(tok ?? '')}`);
  return v;
}

/**
 * /proc/net/softnet_stat: one line per CPU that has softnet data. Kernels since 5.10 print the
 * CPU's number in the 13th column (lines skip offline CPUs); older ones do not, and the line's
 * index is taken.
 */
export function parseSoftnet(text: string, file = '/proc/net/softnet_stat'): Map<number, RawSoftnet> {
  const out = new Map<number, RawSoftnet>();
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const t = fields(ls[i]);
    if (t.length === 0) continue;
    if (t.length < 3) throw parseError(file, i + 1, `expected at least 3 columns, got ${t.length}`);
    const cpu = t.length >= 13 ? hexField(t[12], file, i + 1, 'cpu') : i;
    out.set(cpu, {
      processed: hexField(t[0], file, i + 1, 'processed'),
      dropped: hexField(t[1], file, i + 1, 'dropped'),
      timeSqueeze: hexField(t[2], file, i + 1, 'time_squeeze'),
      backlog: t.length >= 12 ? hexField(t[11], file, i + 1, 'backlog') : null,
    });
  }
  return out;
}

export function readSoftnet(root = '/proc'): Map<number, RawSoftnet> {
  const file = `${root}/net/softnet_stat`;
  const t = readOptional(file);
  return t === null ? new Map() : parseSoftnet(t, file);
}

// ---- /proc/loadavg ----

export function parseLoadavg(text: string, file = '/proc/loadavg'): RawLoadavg {
  const first = text.split('\n')[0];
  const x = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\/(\d+) (\d+)\s*$/.exec(first);
  if (!x) throw parseError(file, 1, `expected "l1 l5 l15 runnable/tasks lastpid", got ${quote(first)}`);
  return { load1: Number(x[1]), load5: Number(x[2]), load15: Number(x[3]), runnable: Number(x[4]), tasks: Number(x[5]), lastPid: Number(x[6]) };
}

export function readLoadavg(root = '/proc'): RawLoadavg {
  const file = `${root}/loadavg`;
  return parseLoadavg(readText(file), file);
}

// ---- /proc/PID/stat ----

// proc(5) field numbers of /proc/PID/stat that we keep.
const F_UTIME = 14;
const F_STIME = 15;
const F_START = 22;
const F_CPU = 39;
const F_GUEST = 43;

/**
 * Parse /proc/PID/stat. comm is whatever the process chose
 * (prctl(PR_SET_NAME) allows spaces, parentheses and control bytes, and stat prints it raw), so it
 * ends at the LAST ')' of the line; its bytes are escaped with escapeBytes, byte by byte, which
 * keeps invalid UTF-8 visible as \xNN instead of turning it into U+FFFD.
 * The fields after comm are walked byte by byte: no string split of 50 fields per process.
 */
export function parsePidStat(buf: Buffer, file: string): RawProc {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x20)) end--;
  const open = buf.indexOf(0x28); // '('
  let close = end - 1;
  while (close > open && buf[close] !== 0x29) close--; // last ')'
  if (open < 0 || open >= end || close <= open) throw parseError(file, 1, 'no "(comm)"');
  const pid = num(buf.toString('latin1', 0, open).trim(), file, 1, 'pid');
  const comm = escapeBytes(buf.subarray(open + 1, close));
  if (buf[close + 1] !== 0x20) throw parseError(file, 1, 'expected a space after "(comm)"');
  let field = 3;
  let state = '';
  let v = 0;
  let digits = 0;
  let bad = false;
  const got: number[] = [];
  for (let i = close + 2; i <= end; i++) {
    const b = i < end ? buf[i] : 0x20;
    if (b === 0x20) {
      if (field === F_UTIME || field === F_STIME || field === F_START || field === F_CPU || field === F_GUEST) {
        if (bad || digits === 0) throw parseError(file, 1, `field ${field}: expected an integer`);
        got[field] = v;
      }
      field++;
      v = 0;
      digits = 0;
      bad = false;
    } else if (field === 3) state += String.fromCharCode(b);
    else if (b >= 48 && b <= 57) {
      v = v * 10 + (b - 48);
      digits++;
    } else bad = true;
  }
  const count = field - 1;
  if (count < F_CPU) throw parseError(file, 1, `expected at least ${F_CPU} fields, got ${count}`);
  return {
    pid,
    comm,
    state,
    utime: got[F_UTIME],
    stime: got[F_STIME],
    starttime: got[F_START],
    processor: got[F_CPU],
    guest: got[F_GUEST] ?? 0,
  };
}

/**
 * Every process of the root (not threads: /proc lists thread group leaders, whose times include
 * all their threads, as pidstat without -t). Processes that exit between the directory listing and
 * the read (ENOENT, ESRCH, or an empty read), and those we may not read (hidepid), are skipped.
 */
export function readPids(root = '/proc'): Map<number, RawProc> {
  const out = new Map<number, RawProc>();
  for (const name of readdirSync(root)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const id = parseCounter(name);
    if (!(id >= 0)) continue;
    const file = `${root}/${name}/stat`;
    let len: number;
    try {
      len = readInto(file, true);
    } catch (e) {
      if (isGone(e)) continue;
      throw e;
    }
    if (len === 0) continue;
    const p = parsePidStat(scratch.subarray(0, len), file);
    out.set(p.pid, p);
  }
  return out;
}

/**
 * readPids for a probe that reads the same tree every tick: it keeps each /proc/PID/stat open and
 * re-reads it with pread at offset 0 (procfs regenerates the text on every read), which saves the
 * open and close — about 40 % of a tick with a few hundred processes. A kept fd belongs to the
 * process, not the number: once the process is gone the read fails with ESRCH (or returns
 * nothing), the fd is closed, and a new process that reuses the pid is opened afresh. Fds of
 * processes no longer listed are closed after each read; at most `maxFds` are kept (beyond that,
 * open/read/close as readPids). close() releases them all.
 */
export class PidStatReader {
  private readonly fds = new Map<number, number>();

  constructor(
    readonly root = '/proc',
    private readonly maxFds = 4096,
  ) {}

  read(): Map<number, RawProc> {
    const out = new Map<number, RawProc>();
    for (const name of readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = parseCounter(name);
      if (!(pid >= 0)) continue;
      const file = `${this.root}/${name}/stat`;
      let len = this.reread(pid);
      if (len < 0) {
        len = this.openAndRead(pid, file);
        if (len < 0) continue;
      }
      const p = parsePidStat(scratch.subarray(0, len), file);
      out.set(p.pid, p);
    }
    for (const [pid, fd] of this.fds) {
      if (!out.has(pid)) this.drop(pid, fd);
    }
    return out;
  }

  /** Fds kept open (for tests). */
  get openFds(): number {
    return this.fds.size;
  }

  close(): void {
    for (const [pid, fd] of this.fds) this.drop(pid, fd);
  }

  /** Length read through the kept fd, or -1 when there is none or its process is gone. */
  private reread(pid: number): number {
    const fd = this.fds.get(pid);
    if (fd === undefined) return -1;
    try {
      const n = readSync(fd, scratch, 0, scratch.length, 0);
      if (n > 0) return n;
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    this.drop(pid, fd);
    return -1;
  }

  /** Open, read, and keep the fd if there is room; -1 when the process is gone or unreadable. */
  private openAndRead(pid: number, file: string): number {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      if (isGone(e)) return -1;
      throw e;
    }
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, 0);
    } catch (e) {
      closeSync(fd);
      if (isGone(e)) return -1;
      throw e;
    }
    if (n > 0 && this.fds.size < this.maxFds) this.fds.set(pid, fd);
    else closeSync(fd);
    return n > 0 ? n : -1;
  }

  private drop(pid: number, fd: number): void {
    this.fds.delete(pid);
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
}

/**
 * One tick: every file, with a monotonic timestamp taken before the reads. `pids`: a
 * PidStatReader that keeps /proc/PID/stat open between ticks (the probe's), else open/read/close.
 */
/** `pids`: the reader of every /proc/PID/stat (kept fds); absent: read them afresh; false: none (the top table comes from elsewhere). */
export function readRaw(root = '/proc', clock: () => bigint = process.hrtime.bigint, pids?: PidStatReader | false): RawSample {
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
    procs: pids ? pids.read() : pids === false ? new Map() : readPids(root),
  };
}
