// The /proc and sysfs parsers under a property-based fuzzer (fast-check): arbitrary file contents,
// and real files (test/proc/fixtures) with bytes changed, cut and repeated. Each parser returns,
// or throws its module's own typed error (ProcParseError, CpuListError) with one bounded line
// that holds no raw control character; what it returns is bounded by its input (no entry without
// a line) and its names are escaped. Runs: see test/helpers/fuzz.ts (FUZZ_RUNS for longer).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuListError, parseCpuList, MAX_CPU_ID } from '../../src/probes/cpus.js';
import {
  parseDiskstats,
  parseInterrupts,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parsePidStat,
  parseSnmp6,
  parseSnmpSections,
  parseSnmpTcp,
  parseSoftirqs,
  parseSoftnet,
  parseStat,
  parseVmstat,
  ProcParseError,
} from '../../src/probes/proc/readers.js';
import { hasControl } from '../../src/ui/safe.js';
import { fuzzParams, fuzzTimeout } from '../helpers/fuzz.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Every fixture file under a /proc tree, by its name in /proc (stat, net/dev, 42/stat, ...). */
function fixtureFiles(): Map<string, string[]> {
  const by = new Map<string, string[]>();
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(p).isDirectory()) walk(p, r);
      else {
        const key = r.replace(/^(?:[^/]+\/)*?(?=(?:stat|meminfo|vmstat|diskstats|loadavg|interrupts|softirqs|net\/|\d+\/stat)$|net\/)/, '');
        const list = by.get(key) ?? [];
        list.push(readFileSync(p, 'latin1'));
        by.set(key, list);
      }
    }
  };
  walk(FIXTURES, '');
  return by;
}

type Parser = (text: string) => unknown;

const PARSERS: [string, Parser][] = [
  ['stat', (t) => parseStat(t)],
  ['meminfo', (t) => parseMeminfo(t)],
  ['vmstat', (t) => parseVmstat(t)],
  ['diskstats', (t) => parseDiskstats(t)],
  ['net/dev', (t) => parseNetDev(t)],
  ['net/snmp', (t) => [parseSnmpSections(t), parseSnmpTcp(t)]],
  ['net/snmp6', (t) => parseSnmp6(t)],
  ['interrupts', (t) => parseInterrupts(t)],
  ['softirqs', (t) => parseSoftirqs(t)],
  ['net/softnet_stat', (t) => parseSoftnet(t)],
  ['loadavg', (t) => parseLoadavg(t)],
  ['stat (pid)', (t) => parsePidStat(Buffer.from(t, 'latin1'), '/proc/42/stat')],
  ['cpu list', (t) => parseCpuList(t)],
];

/** Every string reachable in a value (Map keys and values too). */
function* stringsIn(v: unknown, depth = 0): Generator<string> {
  if (depth > 8) return;
  if (typeof v === 'string') yield v;
  else if (v instanceof Map) for (const [k, x] of v) yield* stringsIn([k, x], depth + 1);
  else if (Array.isArray(v)) for (const x of v) yield* stringsIn(x, depth + 1);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* stringsIn(x, depth + 1);
}

function entries(v: unknown): number {
  if (v instanceof Map) return v.size;
  if (Array.isArray(v)) return v.length;
  return 0;
}

/** Run a parser: it returns, or throws its own typed error with one short escaped line. */
function tryParse(name: string, parse: Parser, text: string): void {
  let out: unknown;
  try {
    out = parse(text);
  } catch (e) {
    const typed = name === 'cpu list' ? e instanceof CpuListError : e instanceof ProcParseError;
    if (!typed) throw e;
    const m = (e as Error).message;
    expect(m.includes('\n')).toBe(false);
    expect(m.length).toBeLessThan(400);
    expect(hasControl(m)).toBe(false);
    return;
  }
  // Bounded by the input: no more entries than lines (a CPU list: at most its bound).
  if (name === 'cpu list') expect(entries(out)).toBeLessThanOrEqual(MAX_CPU_ID + 1);
  else for (const part of Array.isArray(out) ? out : [out]) expect(entries(part)).toBeLessThanOrEqual(text.split('\n').length);
  for (const s of stringsIn(out)) expect(hasControl(s), JSON.stringify(s)).toBe(false);
}

// File-like text: numbers, names, separators and the odd control byte, in lines.
const token = fc.oneof(
  fc.constantFrom(
    ' ',
    '  ',
    '\t',
    ':',
    '-',
    ',',
    '(',
    ')',
    '/',
    'cpu',
    'cpu0',
    'intr',
    'ctxt',
    'MemTotal:',
    'kB',
    'Tcp:',
    'eth0:',
    'CPU0',
    '\x1b]2;x\x07',
    '\x9b',
    '\x00',
  ),
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
);
const fileText = fc
  .array(
    fc.array(token, { maxLength: 24 }).map((t) => t.join('')),
    { maxLength: 20 },
  )
  .map((l) => l.join('\n'));

describe('/proc parsers, fuzzed', () => {
  it(
    'arbitrary contents: a result or their own typed error, bounded and escaped',
    () => {
      for (const [name, parse] of PARSERS) {
        fc.assert(
          fc.property(fc.oneof(fileText, fc.string({ unit: 'binary', maxLength: 400 })), (text) => tryParse(name, parse, text)),
          fuzzParams(300),
        );
      }
    },
    fuzzTimeout(300 * PARSERS.length),
  );

  it(
    'real files with bytes changed, cut, repeated: the same',
    () => {
      const files = fixtureFiles();
      const mutated = (texts: string[]) =>
        fc
          .tuple(
            fc.constantFrom(...texts),
            fc.array(fc.tuple(fc.nat(), fc.constantFrom('cut', 'set', 'dup', 'del')), { minLength: 1, maxLength: 6 }),
            fc.integer({ min: 0, max: 255 }),
          )
          .map(([t, ops, byte]) => {
            let s = t;
            for (const [at, op] of ops) {
              const i = s.length ? at % s.length : 0;
              if (op === 'cut') s = s.slice(0, i);
              else if (op === 'set') s = s.slice(0, i) + String.fromCharCode(byte) + s.slice(i + 1);
              else if (op === 'dup') s = s.slice(0, i) + s.slice(i, i + 40).repeat(3) + s.slice(i);
              else s = s.slice(0, i) + s.slice(i + 1 + (byte % 8));
            }
            return s;
          });
      let tried = 0;
      for (const [name, parse] of PARSERS) {
        const key = name === 'stat (pid)' ? '42/stat' : name === 'cpu list' ? 'cpu-online' : name;
        const texts = [...files.entries()]
          .filter(([k]) => k === key || k.endsWith(`/${key}`) || (key === 'cpu-online' && k.startsWith('cpu-online')))
          .flatMap(([, v]) => v);
        if (texts.length === 0) continue;
        tried++;
        fc.assert(
          fc.property(mutated(texts), (text) => tryParse(name, parse, text)),
          fuzzParams(300),
        );
      }
      expect(tried).toBeGreaterThanOrEqual(6);
    },
    fuzzTimeout(300 * PARSERS.length),
  );

  it('a CPU range of four billion is refused at once, not walked', () => {
    expect(() => parseCpuList('0-4000000000')).toThrow(CpuListError);
    expect(() => parseCpuList('0-65536')).toThrow(CpuListError);
    expect(parseCpuList('0-3,8')).toEqual([0, 1, 2, 3, 8]);
  });
});
