// Issue 28's pure parts: the time forms (relative to now: `10m ago`, `-2h`, `6s ago`; a time of
// day; ISO 8601), the shard names (only the pattern, round-trip), the gap between two runs
// recorded in one directory (said in the header, never bridged), and the screen's `g` with a
// relative time, through the store as the keys drive it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Interval } from '../../src/catalogue/catalogue.js';
import { intervalToLine } from '../../src/catalogue/codec.js';
import { parseDuration, parseTimeSpec } from '../../src/replay/units.js';
import { parseShardName, shardName } from '../../src/replay/shards.js';
import { ReplaySource } from '../../src/replay/source.js';
import { loadRecording, replayScreen } from '../../src/replay/run.js';
import { encodeHeader, RecordEncoder, type RecordingHeader } from '../../src/replay/format.js';
import { handleInput, handleKey } from '../../src/ui/keys.js';
import { replayWord } from '../../src/ui/lines/header.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';

const NOW = Date.UTC(2026, 11, 7, 17, 0, 0);

describe('time forms', () => {
  it('relative to now: N ago, -N, several units, spaces', () => {
    const at = (v: string) => {
      const s = parseTimeSpec(v, NOW);
      if (s.kind !== 'absolute') throw new Error('not absolute');
      return (NOW - s.ms) / 1000;
    };
    expect(at('10m ago')).toBe(600);
    expect(at('-2h')).toBe(7200);
    expect(at('6s ago')).toBe(6);
    expect(at('1h30m ago')).toBe(5400);
    expect(at('-1d12h')).toBe(129_600);
    expect(at('2 w ago')).toBe(1_209_600);
    expect(at('0.5s ago')).toBe(0.5);
    expect(at(' 3M AGO ')).toBe(180);
  });

  it('absolute forms stay as they were', () => {
    expect(parseTimeSpec('14:03', NOW)).toMatchObject({ kind: 'clock', secondOfDay: 14 * 3600 + 180 });
    expect(parseTimeSpec('14:03:07', NOW)).toMatchObject({ kind: 'clock', secondOfDay: 14 * 3600 + 187 });
    expect(parseTimeSpec('2026-11-24T14:03:07Z', NOW)).toMatchObject({ kind: 'absolute', ms: Date.UTC(2026, 10, 24, 14, 3, 7) });
  });

  it('what is not a time is one line', () => {
    for (const bad of ['ago', '10 ago', '-', '--2h', '10m later', '+2h', '10x ago', '2h ago ago', '1e3s ago', 'noon', '-2h ago', '25:00']) {
      expect(() => parseTimeSpec(bad, NOW), bad).toThrow(RangeError);
    }
    expect(() => parseTimeSpec('noon', NOW)).toThrow(/^a time is HH:MM:SS \(UTC\), ISO 8601 \(.*\) or relative to now \(10m ago, -2h\), got 'noon'$/);
  });

  it('durations take days (--retain 7d)', () => {
    expect(parseDuration('7d')).toBe(604_800);
    expect(parseDuration('5s')).toBe(5);
  });
});

describe('shard names', () => {
  it('round-trip, and nothing but the pattern is a shard', () => {
    const ms = Date.UTC(2026, 11, 7, 17, 0, 12, 345);
    expect(shardName(ms)).toBe('perfscope-20261207T170012.345Z.psrec');
    expect(parseShardName(shardName(ms))).toEqual({ name: shardName(ms), start: ms, seq: 0 });
    expect(parseShardName(shardName(ms, 3))).toMatchObject({ start: ms, seq: 3 });
    for (const n of [
      'perfscope-20261207T170012.345Z.psrec.tmp',
      '../perfscope-20261207T170012.345Z.psrec',
      'perfscope-20261307T170012.345Z.psrec', // month 13
      'perfscope-20261207T250012.345Z.psrec',
      'perfscope-20261207T170012Z.psrec',
      'x.psrec',
      'perfscope-20261207T170012.345Z-.psrec',
    ]) {
      expect(parseShardName(n), n).toBeNull();
    }
  });
});

function line(ms: number): string {
  const iv = {
    time: new Date(ms).toISOString(),
    interval_s: 1,
    pinned_cpu: null,
    probes: Object.fromEntries(CATALOGUE.map((s) => [s.name, { state: 'off' }])),
    data: Object.fromEntries(CATALOGUE.map((s) => [s.name, null])),
  } as unknown as Interval;
  return intervalToLine(CATALOGUE, iv).slice(0, -1);
}

// Two runs: 10 intervals, 5 minutes of nothing, 10 more; ending 1 minute before now.
const START = Date.now() - 60_000 - 19_000 - 300_000;
const TWO_RUNS = [...Array.from({ length: 10 }, (_, i) => line(START + i * 1000)), ...Array.from({ length: 10 }, (_, i) => line(START + 309_000 + i * 1000))];
const HEADER: RecordingHeader = {
  host: 'db7',
  kernel: 'k',
  boot_id: null,
  boot_time: null,
  cpus: [0],
  interval_s: 1,
  perfscope_version: 'test',
  probes: CATALOGUE.map((s) => s.name),
  start_time: new Date(START).toISOString(),
  compression: '',
};

describe('a gap between runs', () => {
  it('is found where nothing was recorded for more than two intervals, and shown in the header', () => {
    const src = new ReplaySource(CATALOGUE, TWO_RUNS, { sinks: [] });
    const gaps = TWO_RUNS.map((_, i) => src.gapBefore(i));
    expect(gaps.filter((g) => g > 0)).toEqual([300_000]);
    expect(gaps[10]).toBe(300_000);
    src.seek(10);
    expect(src.position()).toMatchObject({ position: 11, gap_s: 300 });
    expect(replayWord(src.position())).toMatch(/^replay .* \(11\/20\) after a 5m gap$/);
    src.seek(11);
    expect(src.position().gap_s).toBe(0);
    expect(replayWord(src.position())).not.toContain('gap');
  });
});

describe('g in the replay screen: relative times', () => {
  it('"70s ago" and "-6m" go to those times; one outside the recording is one line', () => {
    const { store, source } = replayScreen(SCREEN_CATALOGUE, { header: HEADER, lines: TWO_RUNS, stop: null, skipped: 0, skip: null });
    try {
      source.start();
      const st = () => store.getState();
      handleKey(st(), ' ', {}); // pause
      // 70 s ago: inside the second run (it ends 60 s ago), the first interval at or after it.
      handleKey(st(), 'g', {});
      handleInput(st, '70s ago\r', {});
      expect(st().notice).toBeNull();
      const p = st().replay!.position;
      expect(p).toBeGreaterThanOrEqual(11);
      expect(p).toBeLessThanOrEqual(20);
      // -6m: in the gap, so the first interval after it (the second run's first).
      handleKey(st(), 'g', {});
      handleInput(st, '-6m\r', {});
      expect(st().notice).toBeNull();
      expect(st().replay).toMatchObject({ position: 11, gap_s: 300 });
      // 30 s ago: after the recording's end.
      handleKey(st(), 'g', {});
      handleInput(st, '30s ago\r', {});
      expect(st().notice).toMatch(/^go to: no interval at 30s ago: the recording spans /);
      expect(st().replay?.position).toBe(11);
    } finally {
      source.stop();
    }
  });
});

describe('a directory read by window', () => {
  it('only the shards that may hold the range are read; the records come back oldest first, across shards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfscope-window-'));
    try {
      const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
      // Three shards of 10 records at 1 s, starting at t0, t0+10 s, t0+20 s.
      for (let k = 0; k < 3; k++) {
        const enc = new RecordEncoder();
        const start = t0 + k * 10_000;
        const recs = Array.from({ length: 10 }, (_, i) => enc.encode(line(start + i * 1000)));
        writeFileSync(join(dir, shardName(start)), Buffer.concat([encodeHeader({ ...HEADER, start_time: new Date(start).toISOString() }), ...recs]));
      }
      writeFileSync(join(dir, 'README'), 'not a shard');
      const times = (r: { lines: string[] }) => r.lines.map((l) => (Date.parse((JSON.parse(l) as { time: string }).time) - t0) / 1000);
      expect(times(loadRecording(dir))).toEqual(Array.from({ length: 30 }, (_, i) => i));
      // From 15 s: the 2nd shard (it holds 10-19 s) and the 3rd.
      expect(times(loadRecording(dir, CATALOGUE, { from: t0 + 15_000, to: null }))).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
      // To 9 s: the 1st only.
      expect(times(loadRecording(dir, CATALOGUE, { from: null, to: t0 + 9_000 }))).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(() => loadRecording(dir, CATALOGUE, { from: null, to: t0 - 1 })).toThrow(/no shard holds that range/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a directory is untrusted too', () => {
  it('a symbolic link or a FIFO named like a shard is skipped with one line; the real shards replay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfscope-hostile-'));
    try {
      const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
      const enc = new RecordEncoder();
      const real = shardName(t0);
      writeFileSync(join(dir, real), Buffer.concat([encodeHeader(HEADER), enc.encode(line(t0)), enc.encode(line(t0 + 1000))]));
      symlinkSync('/etc/passwd', join(dir, shardName(t0 + 5000)));
      expect(spawnSync('mkfifo', [join(dir, shardName(t0 + 9000))]).status).toBe(0);
      writeFileSync(join(dir, shardName(t0 + 7000)), 'not a recording at all');
      const r = loadRecording(dir);
      expect(r.lines).toHaveLength(2);
      expect(r.stop).not.toContain('\n');
      // The newest first: the FIFO (opened without blocking, refused), then the symbolic link and the foreign file.
      expect(r.stop).toMatch(/T100009\.000Z\.psrec: is not a regular file: skipped \(and 2 more shards read short\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
