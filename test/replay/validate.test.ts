// Replayed records are validated (src/replay/validate.ts): every probe's well-formed part passes
// its schema unchanged; strings are escaped exactly as live strings are; records that are not
// JSON, not objects, too deep, or whose parts are not of their probe's shape are refused with a
// short reason (never the record's text); loadRecording skips and counts them in one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE, type Interval, type IntervalData } from '../../src/catalogue/catalogue.js';
import { intervalFromJson, intervalToLine } from '../../src/catalogue/codec.js';
import { escapeBytes, escapeText } from '../../src/probes/strings.js';
import { encodeHeader, RecordEncoder } from '../../src/replay/format.js';
import { loadRecording } from '../../src/replay/run.js';
import { checkRecord, MAX_DEPTH } from '../../src/replay/validate.js';
import { hasControl } from '../../src/ui/safe.js';
import { execEvent, fixtureData, nullData, openEvent, running, tcpEvent } from '../ui/fixtures.js';
import { fuzzParams, fuzzTimeout } from '../helpers/fuzz.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-validate-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function interval(data: Partial<IntervalData>): Interval {
  return {
    time: '2026-11-24T18:11:29.000Z',
    interval_s: 1,
    pinned_cpu: null,
    probes: Object.fromEntries(CATALOGUE.map((s) => [s.name, running()])) as Interval['probes'],
    data: { ...nullData(), ...data } as IntervalData,
  };
}

const FULL = {
  ...fixtureData(),
  exec: [execEvent()],
  open: [openEvent(), openEvent({ fd: null, errno: 2, errno_name: 'ENOENT' })],
  tcp: [tcpEvent()],
} as Partial<IntervalData>;

// biome-ignore lint/suspicious/noExplicitAny: a test reaches into a parsed line to break it
type Parsed = Record<string, any>;

function mutate(line: string, f: (o: Parsed) => void): string {
  const o = JSON.parse(line);
  f(o);
  return JSON.stringify(o);
}

describe('checkRecord', () => {
  it("every probe's fixture sample passes its schema and reads back the same", () => {
    const line = intervalToLine(CATALOGUE, interval(FULL)).trimEnd();
    const c = checkRecord(CATALOGUE, line);
    expect(c.ok, c.ok ? '' : c.why).toBe(true);
    if (!c.ok) return;
    // The same line, but for the isolation fixture's raw escapes (made raw on purpose for the screen tests), now escaped.
    const escapeAll = (v: unknown): unknown =>
      typeof v === 'string'
        ? escapeText(v)
        : Array.isArray(v)
          ? v.map(escapeAll)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeAll(x)]))
            : v;
    expect(line).toMatch(/\\u001b/);
    expect(intervalToLine(CATALOGUE, intervalFromJson(CATALOGUE, c.line)).trimEnd()).toBe(JSON.stringify(escapeAll(JSON.parse(line))));
    // An interval with every probe off passes too.
    expect(checkRecord(CATALOGUE, intervalToLine(CATALOGUE, interval({})).trimEnd()).ok).toBe(true);
  });

  it('refuses parts not of their shape, saying where', () => {
    const line = intervalToLine(CATALOGUE, interval(FULL)).trimEnd();
    const cases: [(o: Parsed) => void, RegExp][] = [
      [(o) => (o.runqlat.all[3] = '\x1b]2;PWNED\x07'), /^runqlat\.all\[3\]: not a number$/],
      [(o) => (o.runqlat.cpus['\x1b]2;x\x07'] = ['1']), /^runqlat\.cpus\.\\e\]2;x\\a\[0\]: not a number$/],
      [(o) => (o.exec[0].argv = 'ls'), /^exec\[0\]\.argv: not an array$/],
      [(o) => (o.open[0].comm = 5), /^open\[0\]\.comm: not a string$/],
      [(o) => (o.offcpu[0].max_us = null), /^offcpu\[0\]\.max_us: not a number$/],
      [(o) => (o.trace.tracepoints[0].tasks = {}), /^trace\.tracepoints\[0\]\.tasks: not an array$/],
      [(o) => (o.profile.stacks[0].frames[0].offset = '0x10'), /^profile\.stacks\[0\]\.frames\[0\]\.offset: not a number$/],
      [(o) => (o.profile.stacks[0].frames[0].build_id = '\x1b]2;x\x07'), /^profile\.stacks\[0\]\.frames\[0\]\.build_id: not a build-id \(hex\)$/],
      [(o) => (o.profile.stacks[0].frames[0].build_id = 'abc'), /^profile\.stacks\[0\]\.frames\[0\]\.build_id: not a build-id \(hex\)$/],
      [(o) => (o.profile.stacks[0].frames[0].build_id = 'ab'.repeat(65)), /^profile\.stacks\[0\]\.frames\[0\]\.build_id: not a build-id \(hex\)$/],
      [(o) => (o.counters.load = 1), /^counters\.load: not an object$/],
      [(o) => (o.isolation.tasks[0].kind = 'evil'), /^isolation\.tasks\[0\]\.kind: not one of/],
      [(o) => (o.isolation.net.nic_drops = 'x'), /^isolation\.net\.nic_drops: not an array$/],
    ];
    for (const [f, re] of cases) {
      const c = checkRecord(CATALOGUE, mutate(line, f));
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.why).toMatch(re);
    }
  });

  it('a record that is not JSON, not an object, too deep or out of range: a short reason, never its text', () => {
    expect(checkRecord(CATALOGUE, '{"time":"\x1b]2;PWNED\x07" oops')).toEqual({ ok: false, why: 'not JSON' });
    expect(checkRecord(CATALOGUE, '[1,2]')).toEqual({ ok: false, why: 'not a JSON object' });
    expect(checkRecord(CATALOGUE, '{"x":1e999}')).toEqual({ ok: false, why: 'a number out of range' });
    const deep = `{"x":${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}}`;
    expect(checkRecord(CATALOGUE, deep)).toEqual({ ok: false, why: `nested deeper than ${MAX_DEPTH}` });
    const c = checkRecord(CATALOGUE, `{"x":${'['.repeat(200_000)}`);
    expect(c).toEqual({ ok: false, why: 'not JSON' });
  });

  it('strings are escaped as live ones: C0, C1, bidi, lone surrogates; escaped text is left as it is', () => {
    const line = intervalToLine(CATALOGUE, interval(FULL)).trimEnd();
    const evil = '\x1b]2;PWNED\x07\u009b31m\u202egnp.exe\ud800\\e';
    const c = checkRecord(
      CATALOGUE,
      mutate(line, (o) => {
        o.exec[0].comm = evil;
        o.exec[0].argv = [evil];
      }),
    );
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    const ev = (c.line.exec as { comm: string; argv: string[] }[])[0];
    expect(ev.comm).toBe('\\e]2;PWNED\\a\\u{9b}31m\\u{202e}gnp.exe\\u{d800}\\e');
    expect(ev.argv[0]).toBe(ev.comm);
    // What live decoding gives for the same bytes (but the lone surrogate, which is no UTF-8).
    expect(escapeBytes(Buffer.from('\x1b]2;PWNED\x07\u009b31m\u202egnp.exe', 'utf8'))).toBe('\\e]2;PWNED\\a\\u{9b}31m\\u{202e}gnp.exe');
  });

  it(
    'escapeText: what escapeBytes made is left unchanged, and nothing it returns holds a control',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
          const live = escapeBytes(b);
          expect(escapeText(live)).toBe(live);
        }),
        fuzzParams(2000),
      );
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (s) => {
          const e = escapeText(s);
          expect(hasControl(e)).toBe(false);
          expect(escapeText(e)).toBe(e);
        }),
        fuzzParams(2000),
      );
    },
    fuzzTimeout(4000),
  );
});

describe('loadRecording', () => {
  it('skips and counts bad records, in one line that quotes nothing raw', () => {
    const good = intervalToLine(CATALOGUE, interval(FULL)).trimEnd();
    const bad = mutate(good, (o) => (o.runqlat.all[0] = 'x'));
    const enc = new RecordEncoder();
    const header = encodeHeader({
      host: 'h\x1b]2;PWNED\x07',
      kernel: '6.18',
      boot_id: null,
      boot_time: null,
      cpus: [0, 1],
      interval_s: 1,
      perfscope_version: '0',
      probes: CATALOGUE.map((s) => s.name),
      start_time: '2026-11-24T18:11:28.000Z',
      compression: '',
    });
    const name = join(DIR, 'bad\x1b]2;x\x07.psrec');
    writeFileSync(name, Buffer.concat([header, ...[good, bad, 'not json \x1b]2;PWNED\x07', good].map((l) => enc.encode(l))]));
    const rec = loadRecording(name);
    expect(rec.lines).toEqual([good, good]);
    expect(rec.skipped).toBe(2);
    expect(rec.header.host).toBe('h\\e]2;PWNED\\a');
    expect(rec.skip).toBe(`${join(DIR, 'bad\\e]2;x\\a.psrec')}: skipped 2 of 4 records, not of the recorded format (record 2: runqlat.all[0]: not a number)`);
  });
});
