// The recording reader under a property-based fuzzer (fast-check): arbitrary bytes, and valid
// containers (header and frames with correct CRCs, written by the recorder's own encoder) whose
// payloads are mutated deflate streams or deflated hostile text. readRecording never throws and
// holds at most its bounds; every record it returns either passes checkRecord (then it holds no
// raw control character) or is refused with a short reason; loadRecording throws nothing but
// ReplayInputError. Runs: test/helpers/fuzz.ts (FUZZ_RUNS for longer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { encodeHeader, FRAME, MAGIC, readRecording, RecordEncoder, type RecordingHeader } from '../../src/replay/format.js';
import { loadRecording, ReplayInputError } from '../../src/replay/run.js';
import { checkRecord } from '../../src/replay/validate.js';
import { hasControl } from '../../src/ui/safe.js';
import { fuzzParams, fuzzTimeout } from '../helpers/fuzz.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-format-fuzz-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const HEADER: RecordingHeader = {
  host: 'h',
  kernel: 'k',
  boot_id: null,
  boot_time: null,
  cpus: [0, 1],
  interval_s: 1,
  perfscope_version: '0',
  probes: CATALOGUE.map((s) => s.name),
  start_time: '2026-11-24T18:11:28.000Z',
  compression: '',
};
const HEAD = encodeHeader(HEADER);
const LINE = JSON.stringify({
  time: '2026-11-24T18:11:29.000Z',
  interval_s: 1,
  pinned_cpu: null,
  probes: { runqlat: { state: 'running' }, exec: { state: 'running' } },
  runqlat: { unit: 'us', all: [0, 1, 2], cpus: { '0': [0, 1, 2] }, count: 3, p50_us: 1, p99_us: 2, mean_us: 1, max_bucket: 2 },
  exec: [{ ts: 1, pid: 2, ppid: 1, uid: 0, comm: 'sh', filename: '/bin/sh', argv: ['sh'], argv_truncated: false, ret: 0, ret_name: null }],
});

/** A frame around any payload, with a correct CRC. */
function frame(payload: Buffer): Buffer {
  const f = Buffer.alloc(FRAME + payload.length);
  f.writeUInt32LE(payload.length, 0);
  f.writeUInt32LE(crc32(payload, crc32(f.subarray(0, 4))), 4);
  payload.copy(f, FRAME);
  return f;
}

/** Every string of a parsed record, keys included. */
function* strings(v: unknown): Generator<string> {
  if (typeof v === 'string') yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      yield k;
      yield* strings(x);
    }
}

/** Read, and check every record: never a throw, bounded, escaped or refused. */
function readAll(buf: Buffer, maxInflated = 1 << 24): void {
  const r = readRecording(buf, { maxLine: 1 << 22, maxInflated });
  if (!r.ok) {
    expect(r.error.length).toBeLessThan(200);
    expect(hasControl(r.error)).toBe(false);
    return;
  }
  expect(r.lines.reduce((n, l) => n + Buffer.byteLength(l), 0)).toBeLessThanOrEqual(maxInflated);
  if (r.stop) expect(hasControl(r.stop.why)).toBe(false);
  for (const l of r.lines) {
    const c = checkRecord(CATALOGUE, l);
    if (c.ok) for (const x of strings(c.line)) expect(hasControl(x), l).toBe(false);
    else {
      expect(c.why.length).toBeLessThanOrEqual(200);
      expect(hasControl(c.why)).toBe(false);
    }
  }
}

// Hostile JSON-ish text: the valid line with pieces replaced by control characters, wrong types, deep nesting.
const hostileLine = fc
  .array(
    fc.tuple(
      fc.nat(),
      fc.oneof(
        fc.constantFrom('"\\u001b]2;x\\u0007"', '"\\u009b"', '"\u202e"', '1e999', '"x"', 'null', '[[[[[[[[', '{}', '[]', '-0', '"\\ud800"', 'true'),
        fc.string({ maxLength: 4 }),
      ),
    ),
    { maxLength: 5 },
  )
  .map((edits) => {
    let s = LINE;
    for (const [at, x] of edits) {
      const i = at % s.length;
      s = s.slice(0, i) + x + s.slice(i + x.length);
    }
    return s;
  });

describe('the recording reader, fuzzed', () => {
  it(
    'arbitrary bytes, with or without the magic and a valid header: never a throw',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom('none', 'magic', 'header'), (bytes, prefix) => {
          const b = Buffer.from(bytes);
          readAll(prefix === 'none' ? b : Buffer.concat([prefix === 'magic' ? MAGIC : HEAD, b]));
        }),
        fuzzParams(2000),
      );
    },
    fuzzTimeout(2000),
  );

  it(
    'valid containers whose payloads are mutated deflate streams: never a throw, bounded',
    () => {
      const good = new RecordEncoder().encode(LINE).subarray(FRAME);
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat({ max: 3 }), (flips, copies) => {
          const p = Buffer.from(good);
          for (const [at, v] of flips) p[at % p.length] = v;
          readAll(Buffer.concat([HEAD, frame(p), ...Array.from({ length: copies }, () => frame(p))]));
        }),
        fuzzParams(800),
      );
    },
    fuzzTimeout(800),
  );

  it(
    'valid containers of hostile records (valid deflate): each record escaped, or refused with a short reason',
    () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(hostileLine, fc.string({ unit: 'binary', maxLength: 200 })), { minLength: 1, maxLength: 4 }), (lines) => {
          const enc = new RecordEncoder();
          readAll(Buffer.concat([HEAD, ...lines.map((l) => enc.encode(l))]));
        }),
        fuzzParams(800),
      );
    },
    fuzzTimeout(800),
  );

  it('a deflate bomb stops reading at the record bound; the total bound stops the file', () => {
    const bomb = frame(deflateRawSync(Buffer.alloc(8 << 20, 0x20)));
    const r = readRecording(Buffer.concat([HEAD, new RecordEncoder().encode(LINE), bomb]), { maxLine: 1 << 20 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lines).toHaveLength(1);
    expect(r.stop?.why).toBe(`record 2 inflates beyond ${1 << 20} bytes (a record's bound)`);
    const enc = new RecordEncoder();
    const many = readRecording(Buffer.concat([HEAD, ...Array.from({ length: 10 }, () => enc.encode(LINE))]), { maxInflated: LINE.length * 3 });
    expect(many.ok && many.lines.length).toBe(3);
    expect(many.ok && many.stop?.why).toMatch(/^record 4 would take the records read past \d+ bytes/);
  });

  it(
    'loadRecording of arbitrary files: a recording or a ReplayInputError, never anything else',
    () => {
      const file = join(DIR, 'f.psrec');
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
          writeFileSync(file, withHeader ? Buffer.concat([HEAD, bytes]) : bytes);
          try {
            const rec = loadRecording(file);
            expect(rec.skipped).toBeGreaterThanOrEqual(0);
          } catch (e) {
            if (!(e instanceof ReplayInputError)) throw e;
            expect(e.message.includes('\n')).toBe(false);
          }
        }),
        fuzzParams(300),
      );
    },
    fuzzTimeout(300),
  );
});
