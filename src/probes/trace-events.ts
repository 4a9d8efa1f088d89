// The tracepoints of this host, as tracefs lists them: names (available_events), wildcard
// expansion, the fields of one tracepoint (its `format` file), and the checks that turn what a
// user typed (--trace CATEGORY:NAME[:FIELD], or the screen's prompt) into attachable targets, or
// into one line saying why not. Reads files only (no BPF): the screen's prompt completes with it.
//
// Names typed by the user are untrusted: a path under tracefs is only ever built from a category
// and a name that match NAME_RE, and from a pair that available_events lists.
import { readFileSync } from 'node:fs';
import { ProbeArgError } from './types.js';
import { cutText, escapeBytes, escapeText } from './strings.js';
import { ensureTracefs, tracingDir, TRACEFS_DIR } from './tracefs.js';
import { isUserSpec, resolveUser, UserArgError, userCompletions, type UserProbe } from './trace-user.js';

/** Tracepoints attached at once (bpf/trace.h TRACE_MAX_SLOTS). */
export const TRACE_MAX_TARGETS = 256;

/** Thrown for a value that cannot be traced: its message is the one line the user sees. */
export class TraceArgError extends Error {
  override readonly name = 'TraceArgError';
}

/** fn(), with a TraceArgError given as the ProbeArgError the command line and the + prompt report as one line. */
export function asProbeArgError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TraceArgError) throw new ProbeArgError(err.message);
    throw err;
  }
}

/** A numeric field of a tracepoint's record, where the kernel puts it. */
export interface TraceField {
  readonly name: string;
  /** As the format file declares it ("size_t", "unsigned int", "long"). */
  readonly type: string;
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

/**
 * Where a string of --print comes from (`:str`; bpf/trace.h TRACE_STR_*): a pointer argument or
 * return value of a user-space probe ('user'), or a tracepoint's field: a `char *` into kernel
 * memory ('kptr') or, for syscalls:sys_enter_*, into the process ('uptr'), a `char[N]` in the
 * record ('array'), a `__data_loc char[]` ('loc').
 */
export type StrKind = 'user' | 'kptr' | 'uptr' | 'array' | 'loc';

/** One thing to attach: a tracepoint, counted, and maybe one numeric field, histogrammed. */
export interface TraceTarget {
  /** "sched:sched_switch" or "syscalls:sys_enter_read:count": the key in --json and on screen. */
  readonly id: string;
  readonly category: string;
  readonly name: string;
  readonly field: TraceField | null;
  /** The field's unit when its name says it ("ns", "us", "ms", "bytes"), else null. */
  readonly unit: string | null;
  /** A user-space probe (u:, ur:, usdt:; category and name are then empty), or null for a tracepoint. */
  readonly user?: UserProbe | null;
  /** The event without its value part: "sched:sched_switch", "u:c:malloc". */
  readonly event?: string;
  /** A user-space probe's value part ("arg1", "ret", "lat"), or null. */
  readonly valueName?: string | null;
  /** From a wildcard: a function the kernel refuses is left out (and said), not an error. */
  readonly wild?: boolean;
  /** --print only (`:str`): the value is read as a string, from there. */
  readonly str?: StrKind | null;
}

/** A field declared in a format file, numeric or not. */
export interface FormatField {
  readonly name: string;
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
  /** Why it cannot be histogrammed ("an array", "a pointer", "a string"), or null. */
  readonly notNumeric: string | null;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const GLOB_RE = /^[A-Za-z0-9_*?]+$/;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A format file's line is ~100 characters; a longer one is not a field (and the patterns below stay linear enough). */
const MAX_FORMAT_LINE = 1024;
/** A tracepoint's record is at most a page or so; offsets and sizes beyond 64 KiB are not a field's. */
const MAX_RECORD = 65536;
/** Fields kept from one format file (a real one has a few dozen). */
const MAX_FIELDS = 512;

/**
 * Parse a tracepoint's format file: its fields, in order (the common_* ones included). The text
 * is untrusted (a fixture directory, a kernel that is not what it claims): lines longer than
 * MAX_FORMAT_LINE, offsets or sizes that do not fit a record and fields past MAX_FIELDS are left
 * out, and a type is kept escaped and at most 200 characters (it is quoted in messages).
 */
export function parseFormat(text: string): FormatField[] {
  const out: FormatField[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= MAX_FIELDS) break;
    if (line.length > MAX_FORMAT_LINE) continue;
    const m = /^\s*field:(.+?);\s*offset:(\d{1,6});\s*size:(\d{1,6});\s*signed:(\d{1,6});/.exec(line);
    if (!m) continue;
    const decl = m[1].trim();
    const d = /^(.*?)\s*\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!d) continue;
    // At most 200 UTF-16 units (and "…"), not cutting a surrogate pair in two (found by the fuzzer).
    const type = cutText(escapeText((d[1].trim() + (d[3] ?? '')).trim()), 200);
    const offset = Number(m[2]);
    const size = Number(m[3]);
    if (offset + size > MAX_RECORD) continue;
    let notNumeric: string | null = null;
    if (/__data_loc|__rel_loc/.test(decl)) notNumeric = 'a string';
    else if (d[3] !== undefined) notNumeric = 'an array';
    else if (type.includes('*')) notNumeric = 'a pointer';
    else if (![1, 2, 4, 8].includes(size)) notNumeric = `${size} bytes wide`;
    out.push({ name: d[2], type, offset, size, signed: m[4] === '1', notNumeric });
  }
  return out;
}

/** The unit a field's name states, or null. */
export function unitOf(field: string): string | null {
  const f = field.toLowerCase();
  if (f === 'bytes' || f.endsWith('_bytes')) return 'bytes';
  const m = /_(ns|us|ms)$/.exec(f);
  return m ? m[1] : null;
}

/** A shell-style wildcard (* and ?) as a regular expression over a whole name. */
function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[*?]/g, (c) => (c === '*' ? '[A-Za-z0-9_]*' : '[A-Za-z0-9_]'))}$`);
}

/** What a TraceTarget list is checked against: tracefs, or a fixture in tests. */
export interface TraceEvents {
  /** Where to tell the user to look ("/sys/kernel/tracing/available_events"). */
  readonly listPath: string;
  /** Every tracepoint, "category:name". */
  names(): readonly string[];
  /** The format file of one listed tracepoint. */
  format(category: string, name: string): string;
}

/** One reader per tracing directory: available_events is read once per process (and formats once each). */
const hosts = new Map<string, TraceEvents>();

/**
 * This host's tracepoints (mounting tracefs first if it is not mounted; throws TraceArgError when
 * it cannot be). PERFSCOPE_TRACING_DIR, for tests, names another directory to read the names and
 * formats from (attaching still goes through the kernel's own tracefs: a name listed there but
 * not in the kernel is refused by the kernel, as a tracepoint of an unloaded module is).
 */
export function hostEvents(): TraceEvents {
  let dir = process.env.PERFSCOPE_TRACING_DIR || tracingDir();
  if (dir === null) {
    const why = ensureTracefs();
    if (why !== null) throw new TraceArgError(`cannot read the tracepoints: ${why}`);
    dir = tracingDir() ?? TRACEFS_DIR;
  }
  const known = hosts.get(dir);
  if (known) return known;
  const root = dir;
  let names: string[] | null = null;
  const formats = new Map<string, string>();
  const events: TraceEvents = {
    listPath: `${root}/available_events`,
    names() {
      if (names === null) {
        try {
          names = readFileSync(`${root}/available_events`, 'utf8')
            .split('\n')
            .filter((l) => /^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/.test(l));
        } catch (e) {
          throw new TraceArgError(`cannot read ${root}/available_events: ${(e as Error).message}`);
        }
      }
      return names;
    },
    format(category, name) {
      if (!NAME_RE.test(category) || !NAME_RE.test(name)) throw new TraceArgError(`bad tracepoint name ${category}:${name}`);
      const key = `${category}:${name}`;
      let f = formats.get(key);
      if (f === undefined) {
        f = readFileSync(`${root}/events/${category}/${name}/format`, 'utf8');
        formats.set(key, f);
      }
      return f;
    },
  };
  hosts.set(root, events);
  return events;
}

/** The tracepoints a CATEGORY:NAME pattern (wildcards allowed) names, in available_events order. */
export function expand(events: TraceEvents, category: string, name: string): string[] {
  const c = globRe(category);
  const n = globRe(name);
  return events.names().filter((full) => {
    const i = full.indexOf(':');
    return c.test(full.slice(0, i)) && n.test(full.slice(i + 1));
  });
}

/** One value as typed -> its targets. Throws TraceArgError with the line the user sees. */
export function resolveOne(events: TraceEvents, text: string, pid: number | null = null, strings = false): TraceTarget[] {
  if (isUserSpec(text)) {
    try {
      return resolveUser(text, pid, strings).map((u) => ({
        id: u.id,
        category: '',
        name: '',
        field: null,
        unit: u.user.value === 'lat' ? 'ns' : null,
        user: u.user,
        event: u.event,
        valueName: u.value,
        wild: u.wild,
        str: u.user.str ? 'user' : null,
      }));
    } catch (e) {
      if (e instanceof UserArgError) throw new TraceArgError(e.message);
      throw e;
    }
  }
  const parts = text.trim().split(':');
  // CATEGORY:NAME:FIELD:str (--print): the field read as a string.
  const asStr = parts.length === 4 && parts[3] === 'str';
  if (asStr) {
    parts.pop();
    if (!strings) throw new TraceArgError(`'${escapeText(text.trim())}': ':str' (a string) is for --print only`);
  }
  if (parts.length < 2 || parts.length > 3 || !GLOB_RE.test(parts[0]) || !GLOB_RE.test(parts[1]) || (parts.length === 3 && !FIELD_RE.test(parts[2]))) {
    throw new TraceArgError(
      `bad tracepoint '${escapeBytes(Buffer.from(text, 'utf8'))}': expected CATEGORY:NAME or CATEGORY:NAME:FIELD${strings ? '[:str]' : ''} (wildcards * and ? in CATEGORY and NAME)`,
    );
  }
  const [category, name, fieldName] = parts;
  const wild = /[*?]/.test(category + name);
  const matches = expand(events, category, name);
  if (matches.length === 0) {
    throw new TraceArgError(wild ? `'${text}' matches no tracepoint; see ${events.listPath}` : `no tracepoint ${category}:${name}; see ${events.listPath}`);
  }
  if (matches.length > TRACE_MAX_TARGETS) {
    throw new TraceArgError(`'${text}' matches ${matches.length} tracepoints; at most ${TRACE_MAX_TARGETS} can be attached at once`);
  }
  return matches.map((full) => {
    const [cat, tp] = full.split(':');
    if (fieldName === undefined) return { id: full, category: cat, name: tp, field: null, unit: null };
    let fields: FormatField[];
    try {
      fields = parseFormat(events.format(cat, tp));
    } catch (e) {
      throw e instanceof TraceArgError ? e : new TraceArgError(`cannot read the format of ${full}: ${(e as Error).message}`);
    }
    const f = fields.find((x) => x.name === fieldName);
    if (!f) {
      const numeric = fields.filter((x) => !x.notNumeric && !x.name.startsWith('common_')).map((x) => x.name);
      throw new TraceArgError(`no field '${fieldName}' in ${full}; its numeric fields: ${numeric.join(', ') || 'none'}`);
    }
    if (asStr) {
      const str = stringKind(f, cat);
      if (!str)
        throw new TraceArgError(`field '${fieldName}' of ${full} is not a string (${f.type}); ':str' takes a char *, char[N] or __data_loc char[] field`);
      const field: TraceField = { name: f.name, type: f.type, offset: f.offset, size: f.size as TraceField['size'], signed: false };
      return { id: `${full}:${f.name}:str`, category: cat, name: tp, field, unit: null, str };
    }
    if (f.notNumeric) throw new TraceArgError(`field '${fieldName}' of ${full} is not numeric (${f.type}: ${f.notNumeric})`);
    const field: TraceField = { name: f.name, type: f.type, offset: f.offset, size: f.size as TraceField['size'], signed: f.signed };
    return { id: `${full}:${f.name}`, category: cat, name: tp, field, unit: unitOf(f.name) };
  });
}

/** How a field of a format file is read as a string, or null when it is not one. */
function stringKind(f: FormatField, category: string): StrKind | null {
  const char = /^(const\s+)?(unsigned\s+|signed\s+)?char\b/;
  if (f.notNumeric === 'a string') return /^__data_loc\b.*\bchar\b/.test(f.type) ? 'loc' : null;
  if (f.notNumeric === 'an array') return char.test(f.type) && f.size > 0 ? 'array' : null;
  if (f.notNumeric === 'a pointer') {
    if (!char.test(f.type) || !/^[^*]*\*\s*$/.test(f.type) || f.size !== 8) return null;
    // The system calls' pointers are the caller's (bpftrace's str() on args.filename does the same).
    return category === 'syscalls' ? 'uptr' : 'kptr';
  }
  return null;
}

/** Every value as typed -> the targets, each once, in order; at most TRACE_MAX_TARGETS. `strings`: --print's `:str` allowed. */
export function resolveTargets(events: TraceEvents, values: readonly string[], pid: number | null = null, strings = false): TraceTarget[] {
  const out = new Map<string, TraceTarget>();
  for (const v of values) for (const t of resolveOne(events, v, pid, strings)) out.set(t.id, t);
  if (out.size > TRACE_MAX_TARGETS) {
    throw new TraceArgError(`${out.size} tracepoints in all; at most ${TRACE_MAX_TARGETS} can be attached at once`);
  }
  return [...out.values()];
}

/**
 * Completions of a partly typed value: tracepoint names ("sched:sched_sw" -> "sched:sched_switch"),
 * and after a second ':' the numeric fields of that tracepoint (and with `strings`, --print's, its
 * string fields with `:str`). Sorted; at most `max`.
 */
export function completions(events: TraceEvents, text: string, max = 200, strings = false): string[] {
  if (isUserSpec(text)) return userCompletions(text, max);
  const parts = text.split(':');
  if (parts.length === 3) {
    const [cat, tp, prefix] = parts;
    if (!NAME_RE.test(cat) || !NAME_RE.test(tp) || !events.names().includes(`${cat}:${tp}`)) return [];
    let fields: FormatField[] = [];
    try {
      fields = parseFormat(events.format(cat, tp));
    } catch {
      return [];
    }
    // --print: the string fields too, with their `:str`.
    return fields
      .filter((f) => !f.name.startsWith('common_') && f.name.startsWith(prefix))
      .flatMap((f) => (!f.notNumeric ? [`${cat}:${tp}:${f.name}`] : strings && stringKind(f, cat) ? [`${cat}:${tp}:${f.name}:str`] : []))
      .slice(0, max);
  }
  if (parts.length > 3) return [];
  const out: string[] = [];
  for (const n of events.names()) {
    if (n.startsWith(text)) out.push(n);
  }
  return out.sort().slice(0, max);
}
