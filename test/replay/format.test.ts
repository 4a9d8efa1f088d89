// The recording file, pure: framing round-trips; a file cut at any byte reads back exactly the
// records before the cut and says where it stopped; a flipped byte is caught by the CRC; files that
// are not recordings are refused; the recorder sink stops at --max-size, at its record count and
// on a write error (once, with one line), and refuses a --max-size below its header.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Interval } from '../../src/catalogue/catalogue.js';
import { encodeHeader, FORMAT_VERSION, readRecording, RecordEncoder, stopMessage, type RecordingHeader } from '../../src/replay/format.js';
import { Recorder, RecorderError, type RecorderEnd } from '../../src/sinks/recorder.js';
import { intervalFromJson, intervalToLine } from '../../src/catalogue/codec.js';
import { indexAt, indexUntil, parseDuration, parseSize, parseTimeSpec } from '../../src/replay/units.js';

const HEADER: RecordingHeader = {
  host: 'h1',
  kernel: '6.18.0',
  boot_id: '0f0e0d0c-0000-4000-8000-000000000000',
  boot_time: '2026-11-24T10:00:00.000Z',
  cpus: [0, 1],
  interval_s: 1,
  perfscope_version: '0.1.0',
  probes: CATALOGUE.map((s) => s.name),
  start_time: '2026-11-24T18:11:28.000Z',
  compression: 'deflate-raw, previous record as dictionary',
};

const LINES = [0, 1, 2].map((i) => JSON.stringify({ time: `2026-11-24T18:11:${29 + i}.000Z`, interval_s: 1, n: i, pad: 'x'.repeat(50 + i) }));

function file(lines = LINES): { buf: Buffer; ends: number[]; headerEnd: number } {
  const h = encodeHeader(HEADER);
  const enc = new RecordEncoder();
  const parts = [h];
  const ends: number[] = [];
  let off = h.length;
  for (const l of lines) {
    const f = enc.encode(l);
    parts.push(f);
    off += f.length;
    ends.push(off);
  }
  return { buf: Buffer.concat(parts), ends, headerEnd: h.length };
}

describe('recording format', () => {
  it('round-trips the header and every record', () => {
    const { buf, ends } = file();
    const r = readRecording(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.header).toEqual(HEADER);
    expect(r.lines).toEqual(LINES);
    expect(r.stop).toBeNull();
    expect(r.bytes).toBe(ends[2]);
    expect(buf.subarray(0, 8)).toEqual(Buffer.from('\x89PSREC\r\n', 'latin1'));
    expect(buf.readUInt16LE(8)).toBe(FORMAT_VERSION);
  });

  it('a file cut at every byte offset reads back the complete records before the cut and says where it stopped', () => {
    const { buf, ends, headerEnd } = file();
    for (let cut = 0; cut <= buf.length; cut++) {
      const r = readRecording(buf.subarray(0, cut));
      if (cut < headerEnd) {
        expect(r.ok, `cut ${cut}`).toBe(false);
        if (!r.ok) expect(r.error).toMatch(/truncated in its header/);
        continue;
      }
      expect(r.ok, `cut ${cut}`).toBe(true);
      if (!r.ok) continue;
      const complete = ends.filter((e) => e <= cut).length;
      expect(r.lines, `cut ${cut}`).toEqual(LINES.slice(0, complete));
      const boundary = complete === 0 ? headerEnd : ends[complete - 1];
      if (cut === boundary) expect(r.stop, `cut ${cut}`).toBeNull();
      else {
        expect(r.stop, `cut ${cut}`).toEqual({ records: complete, byte: boundary, why: expect.stringMatching(/^record \d+ is incomplete/) });
        expect(stopMessage('F', r.stop!)).toMatch(
          new RegExp(`^F: truncated after record ${complete} \\(byte ${boundary}\\): record ${complete + 1} is incomplete`),
        );
      }
    }
  });

  it('a flipped byte anywhere in a record stops there: the CRC says so', () => {
    const { buf, ends, headerEnd } = file();
    const starts = [headerEnd, ends[0], ends[1]];
    for (let rec = 0; rec < 3; rec++) {
      for (let at = starts[rec]; at < ends[rec]; at++) {
        const bad = Buffer.from(buf);
        bad[at] ^= 0x10;
        const r = readRecording(bad);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(r.lines, `byte ${at}`).toEqual(LINES.slice(0, rec));
        expect(r.stop?.records).toBe(rec);
        expect(r.stop?.byte).toBe(starts[rec]);
        // A flipped length byte may point past the end (incomplete) or beyond any record (corrupt length).
        const inPayloadOrCrc = at >= starts[rec] + 4;
        if (inPayloadOrCrc) expect(r.stop?.why, `byte ${at}`).toBe(`record ${rec + 1} fails its CRC-32 (corrupt)`);
        else expect(r.stop?.why).toMatch(/CRC-32|incomplete|corrupt length/);
      }
    }
  });

  it('refuses what is not a recording, a newer version, a corrupt header', () => {
    const { buf } = file();
    const err = (b: Buffer) => {
      const r = readRecording(b);
      return r.ok ? 'ok' : r.error;
    };
    expect(err(Buffer.from('{"time":"2026-11-24T18:11:29Z"}\n'))).toBe('not a perfscope recording (bad magic)');
    const newer = Buffer.from(buf);
    newer.writeUInt16LE(FORMAT_VERSION + 1, 8);
    expect(err(newer)).toBe(`format version ${FORMAT_VERSION + 1} is newer than this perfscope reads (${FORMAT_VERSION})`);
    const hdr = Buffer.from(buf);
    hdr[20] ^= 1;
    expect(err(hdr)).toMatch(/corrupt header/);
  });

  it('each record is deflated with the line before it as dictionary: a repeat is tiny and reads back', () => {
    const first = JSON.stringify({ words: Array.from({ length: 200 }, (_, i) => `w${(i * 7919) % 1000}`) });
    const { buf, ends, headerEnd } = file([first, first, 'c']);
    expect(ends[1] - ends[0]).toBeLessThan((ends[0] - headerEnd) / 4);
    const r = readRecording(buf);
    expect(r.ok && r.lines).toEqual([first, first, 'c']);
  });
});

const IV = (i: number): Interval =>
  intervalFromJson(CATALOGUE, { time: new Date(Date.UTC(2026, 10, 24, 18, 11, 29 + i)).toISOString(), interval_s: 1, pinned_cpu: null, probes: {} });

describe('the recorder sink', () => {
  function rec(opts: { maxSize?: number | null; maxRecords?: number | null; failAt?: number } = {}) {
    const chunks: Buffer[] = [];
    const ends: [RecorderEnd, string][] = [];
    let writes = 0;
    const r = new Recorder(
      CATALOGUE,
      HEADER,
      (b) => {
        if (opts.failAt !== undefined && writes++ === opts.failAt) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        chunks.push(b);
        return b.length;
      },
      { maxSize: opts.maxSize ?? null, maxRecords: opts.maxRecords ?? null, onEnd: (w, m) => ends.push([w, m]) },
      'F',
    );
    return { r, chunks, ends, buf: () => Buffer.concat(chunks) };
  }

  it('records exactly the --json lines', () => {
    const t = rec();
    for (let i = 0; i < 4; i++) t.r.sink.interval!(IV(i));
    const back = readRecording(t.buf());
    expect(back.ok && back.lines.map((l) => l + '\n')).toEqual([0, 1, 2, 3].map((i) => intervalToLine(CATALOGUE, IV(i))));
    expect(t.ends).toEqual([]);
  });

  it('stops after its record count, once', () => {
    const t = rec({ maxRecords: 2 });
    for (let i = 0; i < 4; i++) t.r.sink.interval!(IV(i));
    expect(t.ends).toEqual([['done', expect.stringMatching(/^F: 2 records/)]]);
    const back = readRecording(t.buf());
    expect(back.ok && back.lines.length).toBe(2);
  });

  it('--max-size: stops before the record that would exceed it; smaller than the header is refused', () => {
    const header = encodeHeader(HEADER).length;
    const t = rec({ maxSize: header + 60 });
    for (let i = 0; i < 10; i++) t.r.sink.interval!(IV(i));
    expect(t.buf().length).toBeLessThanOrEqual(header + 60);
    expect(t.ends).toEqual([['max-size', expect.stringMatching(/stopped at --max-size/)]]);
    expect(() => rec({ maxSize: header - 1 })).toThrow(RecorderError);
    expect(() => rec({ maxSize: header - 1 })).toThrow(/smaller than the recording's header/);
  });

  it('a write error (full disk) stops recording with one line; later intervals write nothing', () => {
    const t = rec({ failAt: 3 }); // the header, two records, then ENOSPC
    for (let i = 0; i < 6; i++) t.r.sink.interval!(IV(i));
    expect(t.ends).toEqual([['error', 'F: recording stopped after record 2: ENOSPC: no space left on device, write']]);
    const back = readRecording(t.buf());
    expect(back.ok && back.lines.length).toBe(2);
    expect(t.r.active).toBe(false);
  });
});

describe('units', () => {
  it('durations, sizes, times', () => {
    expect([parseDuration('90s'), parseDuration('10m'), parseDuration('1h'), parseDuration('2.5'), parseDuration('500ms')]).toEqual([90, 600, 3600, 2.5, 0.5]);
    expect(() => parseDuration('10 minutes')).toThrow(/duration/);
    expect(() => parseDuration('0s')).toThrow(/more than 0/);
    expect([parseSize('10M'), parseSize('512K'), parseSize('1G'), parseSize('100'), parseSize('10MiB')]).toEqual([10 << 20, 512 << 10, 1 << 30, 100, 10 << 20]);
    expect(() => parseSize('10X')).toThrow(/size/);
    expect(parseTimeSpec('14:03:07')).toEqual({ kind: 'clock', secondOfDay: 14 * 3600 + 3 * 60 + 7, text: '14:03:07' });
    expect(parseTimeSpec('2026-11-24T18:11:29Z')).toMatchObject({ kind: 'absolute', ms: Date.UTC(2026, 10, 24, 18, 11, 29) });
    expect(parseTimeSpec('2026-11-24 18:11:29')).toMatchObject({ kind: 'absolute', ms: Date.UTC(2026, 10, 24, 18, 11, 29) });
    for (const bad of ['25:00:00', 'noon', '14:3', '2026-13-45T00:00:00Z']) expect(() => parseTimeSpec(bad)).toThrow(/time/);
  });

  it('a time finds its interval; a time of day across midnight', () => {
    const t0 = Date.UTC(2026, 10, 24, 23, 59, 58, 500);
    const times = [0, 1, 2, 3, 4].map((i) => t0 + i * 1000); // 23:59:58.5 .. 00:00:02.5
    expect(indexAt(times, parseTimeSpec('23:59:59'))).toBe(1);
    expect(indexAt(times, parseTimeSpec('00:00:01'))).toBe(3);
    expect(indexAt(times, parseTimeSpec('23:59:58'))).toBe(0);
    expect(indexAt(times, parseTimeSpec('12:00:00'))).toBe(-1);
    expect(indexUntil(times, parseTimeSpec('00:00:00'))).toBe(3);
    expect(indexUntil(times, parseTimeSpec(new Date(t0 + 1000).toISOString()))).toBe(2);
  });
});
