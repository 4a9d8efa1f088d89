// The tracepoint-format parser and the checks built on it under a property-based fuzzer
// (fast-check): arbitrary `format` file text, and a real format file with lines changed, cut and
// repeated. parseFormat never throws and returns a bounded list of fields whose offsets fit a
// record and whose types are escaped; resolveOne and completions over such formats return or
// throw a TraceArgError with one short, escaped line. Runs: test/helpers/fuzz.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completions, parseFormat, resolveOne, TraceArgError, type TraceEvents } from '../../src/probes/trace-events.js';
import { hasControl } from '../../src/ui/safe.js';
import { fuzzParams, fuzzTimeout } from '../helpers/fuzz.js';

const REAL = `name: sys_enter_read
ID: 842
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;
	field:__data_loc char[] name;	offset:40;	size:4;	signed:0;
	field:u8 addr[16];	offset:44;	size:16;	signed:0;

print fmt: "fd: 0x%08lx, buf: 0x%08lx, count: 0x%08lx", ((unsigned long)(REC->fd))
`;

function events(format: string): TraceEvents {
  return { listPath: '/fixture/available_events', names: () => ['syscalls:sys_enter_read', 'sched:sched_switch'], format: () => format };
}

const token = fc.oneof(
  fc.constantFrom(
    'field:',
    'offset:',
    'size:',
    'signed:',
    ';',
    '\t',
    ' ',
    'unsigned int',
    'char',
    '*',
    '[16]',
    '[',
    ']',
    '__data_loc',
    'count',
    'fd',
    '\x1b]2;x\x07',
    '\u009b',
    '\u202e',
  ),
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  fc.string({ maxLength: 6 }),
);
const formatText = fc
  .array(
    fc.array(token, { maxLength: 16 }).map((t) => t.join('')),
    { maxLength: 30 },
  )
  .map((l) => l.join('\n'));

const mutatedReal = fc
  .array(fc.tuple(fc.nat(), fc.constantFrom('set', 'dup', 'cut', 'del'), fc.string({ unit: 'binary', maxLength: 4 })), { minLength: 1, maxLength: 6 })
  .map((ops) => {
    let s = REAL;
    for (const [at, op, x] of ops) {
      const i = s.length ? at % s.length : 0;
      if (op === 'set') s = s.slice(0, i) + x + s.slice(i + 1);
      else if (op === 'dup') s = s.slice(0, i) + s.slice(i, i + 60).repeat(4) + s.slice(i);
      else if (op === 'cut') s = s.slice(0, i);
      else s = s.slice(0, i) + s.slice(i + x.length + 1);
    }
    return s;
  });

function checkFields(text: string): void {
  const fields = parseFormat(text);
  expect(fields.length).toBeLessThanOrEqual(Math.min(512, text.split('\n').length));
  for (const f of fields) {
    expect(Number.isSafeInteger(f.offset) && Number.isSafeInteger(f.size)).toBe(true);
    expect(f.offset + f.size).toBeLessThanOrEqual(65536);
    expect(f.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(hasControl(f.type)).toBe(false);
    expect(f.type.length).toBeLessThanOrEqual(201);
  }
}

function checkResolve(text: string, typed: string): void {
  try {
    resolveOne(events(text), typed);
  } catch (e) {
    if (!(e instanceof TraceArgError)) throw e;
    expect(e.message.includes('\n')).toBe(false);
    expect(e.message.length).toBeLessThan(600);
    expect(hasControl(e.message)).toBe(false);
  }
  for (const c of completions(events(text), 'syscalls:sys_enter_read:')) expect(hasControl(c)).toBe(false);
}

describe('tracepoint formats, fuzzed', () => {
  it(
    'parseFormat: arbitrary text and a real file mutated give a bounded, escaped field list',
    () => {
      fc.assert(fc.property(fc.oneof(formatText, mutatedReal, fc.string({ unit: 'binary', maxLength: 2000 })), checkFields), fuzzParams(1500));
    },
    fuzzTimeout(1500),
  );

  it(
    'resolveOne and completions over such formats: a target or a TraceArgError of one escaped line',
    () => {
      const typed = fc.constantFrom(
        'syscalls:sys_enter_read:count',
        'syscalls:sys_enter_read:buf',
        'syscalls:sys_enter_read:name',
        'syscalls:sys_enter_read:nope',
        'syscalls:sys_enter_*:fd',
      );
      fc.assert(
        fc.property(fc.oneof(formatText, mutatedReal), typed, (text, t) => {
          checkResolve(text, t);
        }),
        fuzzParams(1000),
      );
    },
    fuzzTimeout(1000),
  );

  it('a megabyte line, or a hundred thousand semicolons, is parsed at once (no field)', () => {
    expect(parseFormat(`\tfield:${'x;'.repeat(500_000)}`)).toEqual([]);
    expect(parseFormat(`\tfield:int a;\toffset:99999999999999999999;\tsize:4;\tsigned:1;`)).toEqual([]);
    expect(parseFormat(`\tfield:int a;\toffset:65534;\tsize:4;\tsigned:1;`)).toEqual([]);
    expect(parseFormat(REAL).map((f) => f.name)).toEqual(['common_type', 'common_flags', '__syscall_nr', 'fd', 'buf', 'count', 'name', 'addr']);
  });
});
