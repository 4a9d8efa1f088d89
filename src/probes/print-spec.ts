// The print feed's data (see ProbeSpec): one event per hit of the tracepoints and user-space
// probes of --print (the trace syntax: CAT:NAME[:FIELD], u:LIB:FUNC[:argN], ur:LIB:FUNC[:ret|:lat],
// usdt:PATH:PROVIDER:NAME[:argN]), with its time, task and value. The probe is print.ts
// (bpf/print.bpf.c); its view src/views/print.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';
import { bool, nullable, num, obj, optional, str } from './json-check.js';
import { completions, hostEvents, resolveTargets, asProbeArgError } from './trace-events.js';
import type { ProbeArgs } from './types.js';

export interface PrintEvent extends FeedEventBase {
  ts: number;
  pid: number;
  tid: number;
  comm: string;
  /** The --print value it is a hit of ("u:c:malloc:arg1", "sched:sched_switch:prev_pid"). */
  event: string;
  /** Its value (the field, argument, return value, or latency in ns), or null (a count only, or not readable). */
  value: number | null;
  /**
   * A `:str` value's string (an argument, a return value or a tracepoint field read as a C string,
   * at most PRINT_STR_LEN = 128 bytes, escaped), or null when it could not be read (a bad
   * pointer, a page not in memory). Present on the events of a `:str` value only.
   */
  str?: string | null;
  /** With `str`: the string was longer than 128 bytes and is cut there. */
  truncated?: boolean;
}

/**
 * An event's value as shown (pane, feed line): the number; a string in double quotes (already
 * escaped at decode; "…" after it when cut at 128 bytes), `(unreadable)` when it could not be
 * read; '' for a count only.
 */
export function printValueText(e: PrintEvent): string {
  if (e.str !== undefined) return e.str === null ? '(unreadable)' : `"${e.str}"${e.truncated ? '…' : ''}`;
  return e.value === null ? '' : String(e.value);
}

const printArgs: ProbeArgs = {
  flag: 'print',
  metavar: 'SPEC',
  help: 'one line per hit (time, pid, comm, value) of a tracepoint or user-space probe, in the trace syntax; :str after a value reads it as a string (repeatable)',
  bench: ['sched:sched_switch:next_pid'],
  resolve: (values, ctx) => asProbeArgError(() => resolveTargets(hostEvents(), values, ctx?.pid ?? null, true).map((t) => t.id)),
  complete: (text) => {
    try {
      return completions(hostEvents(), text, 200, true);
    } catch {
      return [];
    }
  },
  rowValues: (s) => {
    const events = s as PrintEvent[] | null;
    return Array.isArray(events) ? [...new Set(events.map((e) => e.event))] : [];
  },
};

const spec = feedSpec<'print', PrintEvent>({
  name: 'print',
  event: obj({ ts: num, pid: num, tid: num, comm: str, event: str, value: nullable(num), str: optional(str), truncated: optional(bool) }),
  prom: {
    what: 'hits printed by --print',
    label: 'kind',
    values: ['tracepoint', 'user'],
    classify: (e) => (/^(u|ur|usdt):/.test(e.event) ? 'user' : 'tracepoint'),
  },
});

export const print = { ...spec, args: printArgs };
