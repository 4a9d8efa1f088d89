// Tracepoint names, formats and the checks of what a user types, on fixture format files from
// this kernel (copied from tracefs), and on this host's own tracefs.
import { describe, expect, it } from 'vitest';
import {
  completions,
  expand,
  hostEvents,
  parseFormat,
  resolveOne,
  resolveTargets,
  TRACE_MAX_TARGETS,
  TraceArgError,
  unitOf,
  type TraceEvents,
} from '../../src/probes/trace-events.js';
import { bpfReason } from '../helpers/bpf.js';

const SWITCH = `name: sched_switch
ID: 372
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:int next_prio;	offset:60;	size:4;	signed:1;

print fmt: "prev_comm=%s prev_pid=%d", REC->prev_comm, REC->prev_pid
`;
const READ = `name: sys_enter_read
ID: 842
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;
`;
const ISSUE = `name: block_rq_issue
format:
	field:dev_t dev;	offset:8;	size:4;	signed:0;
	field:sector_t sector;	offset:16;	size:8;	signed:0;
	field:unsigned int bytes;	offset:28;	size:4;	signed:0;
	field:char rwbs[10];	offset:34;	size:10;	signed:0;
	field:__data_loc char[] cmd;	offset:60;	size:4;	signed:0;
	field:u64 delta_ns;	offset:64;	size:8;	signed:0;
`;

function fixture(names: string[], formats: Record<string, string> = {}): TraceEvents {
  return {
    listPath: '/sys/kernel/tracing/available_events',
    names: () => names,
    format: (c, n) => {
      const f = formats[`${c}:${n}`];
      if (f === undefined) throw new Error(`ENOENT: ${c}/${n}/format`);
      return f;
    },
  };
}

const EV = fixture(
  [
    'sched:sched_switch',
    'sched:sched_wakeup',
    'sched:sched_process_fork',
    'syscalls:sys_enter_read',
    'syscalls:sys_enter_openat',
    'syscalls:sys_enter_open',
    'block:block_rq_issue',
  ],
  { 'sched:sched_switch': SWITCH, 'syscalls:sys_enter_read': READ, 'block:block_rq_issue': ISSUE },
);

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TraceArgError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('format files', () => {
  it('every field with its offset, size, signedness, and why it is not numeric', () => {
    const f = parseFormat(SWITCH);
    expect(f.map((x) => x.name)).toEqual([
      'common_type',
      'common_flags',
      'common_preempt_count',
      'common_pid',
      'prev_comm',
      'prev_pid',
      'prev_prio',
      'prev_state',
      'next_comm',
      'next_pid',
      'next_prio',
    ]);
    expect(f.find((x) => x.name === 'prev_state')).toEqual({ name: 'prev_state', type: 'long', offset: 32, size: 8, signed: true, notNumeric: null });
    expect(f.find((x) => x.name === 'prev_comm')?.notNumeric).toBe('an array');
    const r = parseFormat(READ);
    expect(r.find((x) => x.name === 'buf')?.notNumeric).toBe('a pointer');
    expect(r.find((x) => x.name === 'count')).toMatchObject({ offset: 32, size: 8, signed: false, notNumeric: null });
    expect(parseFormat(ISSUE).find((x) => x.name === 'cmd')?.notNumeric).toBe('a string');
  });

  it('the unit when the name says it', () => {
    expect(['bytes', 'nr_bytes', 'delta_ns', 'lat_us', 'wait_ms', 'count', 'runtime'].map(unitOf)).toEqual(['bytes', 'bytes', 'ns', 'us', 'ms', null, null]);
  });
});

describe('what the user types', () => {
  it('a tracepoint, a field of it, a wildcard', () => {
    expect(resolveOne(EV, 'sched:sched_switch')).toEqual([{ id: 'sched:sched_switch', category: 'sched', name: 'sched_switch', field: null, unit: null }]);
    expect(resolveOne(EV, 'syscalls:sys_enter_read:count')[0]).toMatchObject({
      id: 'syscalls:sys_enter_read:count',
      field: { name: 'count', offset: 32, size: 8, signed: false },
    });
    expect(resolveOne(EV, 'block:block_rq_issue:bytes')[0]).toMatchObject({ unit: 'bytes', field: { offset: 28, size: 4 } });
    expect(resolveOne(EV, 'sched:*').map((t) => t.id)).toEqual(['sched:sched_switch', 'sched:sched_wakeup', 'sched:sched_process_fork']);
    expect(expand(EV, 'syscalls', 'sys_enter_open*')).toEqual(['syscalls:sys_enter_openat', 'syscalls:sys_enter_open']);
    expect(expand(EV, '*', 'sched_?akeup')).toEqual(['sched:sched_wakeup']);
    expect(resolveTargets(EV, ['sched:sched_switch', 'sched:sched_*']).map((t) => t.id)).toEqual([
      'sched:sched_switch',
      'sched:sched_wakeup',
      'sched:sched_process_fork',
    ]);
  });

  it('bad input: one line each, saying what is wrong', () => {
    expect(message(() => resolveOne(EV, 'sched:nope'))).toBe('no tracepoint sched:nope; see /sys/kernel/tracing/available_events');
    expect(message(() => resolveOne(EV, 'nope:*'))).toBe("'nope:*' matches no tracepoint; see /sys/kernel/tracing/available_events");
    expect(message(() => resolveOne(EV, 'sched:sched_switch:nope'))).toBe(
      "no field 'nope' in sched:sched_switch; its numeric fields: prev_pid, prev_prio, prev_state, next_pid, next_prio",
    );
    expect(message(() => resolveOne(EV, 'sched:sched_switch:prev_comm'))).toBe("field 'prev_comm' of sched:sched_switch is not numeric (char[16]: an array)");
    expect(message(() => resolveOne(EV, 'syscalls:sys_enter_read:buf'))).toBe("field 'buf' of syscalls:sys_enter_read is not numeric (char *: a pointer)");
    expect(message(() => resolveOne(EV, 'block:block_rq_issue:cmd'))).toBe("field 'cmd' of block:block_rq_issue is not numeric (__data_loc char[]: a string)");
    for (const bad of ['sched', 'sched:', ':x', 'a:b:c:d', '../../etc:passwd', 'sched:sched_switch:1x', 'sched:sw itch']) {
      expect(message(() => resolveOne(EV, bad))).toMatch(/^bad tracepoint '.*': expected CATEGORY:NAME or CATEGORY:NAME:FIELD/);
    }
    // A control character typed by the user is shown escaped.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
    expect(message(() => resolveOne(EV, 'a\x1b[31m:b'))).not.toMatch(/\x1b/);
    const many = fixture(Array.from({ length: 300 }, (_, i) => `syscalls:sys_enter_n${i}`));
    expect(message(() => resolveOne(many, 'syscalls:*'))).toBe(`'syscalls:*' matches 300 tracepoints; at most ${TRACE_MAX_TARGETS} can be attached at once`);
    expect(
      message(() =>
        resolveTargets(
          many,
          [1, 2, 3, 4, 5, 6, 7, 8].map((d) => `syscalls:sys_enter_n${d}*`),
        ),
      ),
    ).toBe('288 tracepoints in all; at most 256 can be attached at once');
  });

  it(':str (--print): a string field and where it is read from; any other field, and --trace, refused with one line', () => {
    expect(resolveOne(EV, 'sched:sched_switch:prev_comm:str', null, true)[0]).toMatchObject({
      id: 'sched:sched_switch:prev_comm:str',
      str: 'array',
      field: { offset: 8, size: 16 },
    });
    expect(resolveOne(EV, 'block:block_rq_issue:cmd:str', null, true)[0]).toMatchObject({ str: 'loc', field: { offset: 60, size: 4 } });
    // a system call's char * is the caller's memory
    expect(resolveOne(EV, 'syscalls:sys_enter_read:buf:str', null, true)[0]).toMatchObject({ str: 'uptr', field: { offset: 24, size: 8 } });
    expect(message(() => resolveOne(EV, 'sched:sched_switch:prev_pid:str', null, true))).toBe(
      "field 'prev_pid' of sched:sched_switch is not a string (pid_t); ':str' takes a char *, char[N] or __data_loc char[] field",
    );
    expect(message(() => resolveOne(EV, 'sched:sched_switch:prev_comm:str'))).toBe("'sched:sched_switch:prev_comm:str': ':str' (a string) is for --print only");
    expect(message(() => resolveOne(EV, 'sched:sched_switch:prev_comm:x', null, true))).toMatch(/^bad tracepoint /);
  });

  it('completion: names, then after a second colon the numeric fields', () => {
    expect(completions(EV, 'sched:sched_w')).toEqual(['sched:sched_wakeup']);
    expect(completions(EV, 'sys')).toEqual(['syscalls:sys_enter_open', 'syscalls:sys_enter_openat', 'syscalls:sys_enter_read']);
    expect(completions(EV, 'sched:sched_switch:prev_')).toEqual([
      'sched:sched_switch:prev_pid',
      'sched:sched_switch:prev_prio',
      'sched:sched_switch:prev_state',
    ]);
    expect(completions(EV, 'sched:sched_switch:next_', 200, true)).toEqual([
      'sched:sched_switch:next_comm:str',
      'sched:sched_switch:next_pid',
      'sched:sched_switch:next_prio',
    ]);
    expect(completions(EV, 'sched:nope:')).toEqual([]);
    expect(completions(EV, '../x:y:')).toEqual([]);
  });
});

describe.skipIf(bpfReason !== null)('this host', () => {
  it("reads tracefs' list and formats: sched_switch has prev_state at the offset the format says", () => {
    const h = hostEvents();
    expect(h.names()).toContain('sched:sched_switch');
    expect(h.names().length).toBeGreaterThan(100);
    const t = resolveOne(h, 'sched:sched_switch:prev_state')[0];
    expect(t.field).toMatchObject({ size: 8, signed: true });
    expect(resolveOne(h, 'syscalls:sys_enter_read:count')[0].field).toMatchObject({ offset: 32, size: 8 });
  });
});
