// The replay source and the store, without a terminal: intervals reach the sinks as the manager
// hands them (feed events, health changes, then the interval); stepping back rewinds and replays
// the history; the replay keys reach the source through the store's actions; the header says
// `replay` with the time and position; toggles do nothing; a bad go-to time gets one line.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Interval } from '../../src/catalogue/catalogue.js';
import type { Sink } from '../../src/catalogue/sink.js';
import { intervalToLine } from '../../src/catalogue/codec.js';
import { ReplaySource } from '../../src/replay/source.js';
import { replayScreen } from '../../src/replay/run.js';
import type { RecordingHeader } from '../../src/replay/format.js';
import { handleInput, handleKey } from '../../src/ui/keys.js';
import { headerText } from '../../src/ui/lines/header.js';
import { execEvent } from '../ui/fixtures.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';

const feed = CATALOGUE.find((s) => s.kind === 'feed')!;
const T0 = Date.UTC(2026, 10, 24, 14, 3, 0);

function line(i: number): string {
  const iv = {
    time: new Date(T0 + i * 1000).toISOString(),
    interval_s: 1,
    pinned_cpu: null,
    probes: Object.fromEntries(
      CATALOGUE.map((s) => [s.name, { state: i === 2 && s === feed ? 'failed' : 'off', ...(i === 2 && s === feed ? { reason: 'boom' } : {}) }]),
    ),
    data: Object.fromEntries(CATALOGUE.map((s) => [s.name, null])),
  } as unknown as Interval;
  return intervalToLine(CATALOGUE, iv).slice(0, -1);
}

/** A line whose feed holds events (the exec feed's shape when the first feed is exec; otherwise none). */
const LINES = Array.from({ length: 30 }, (_, i) => line(i));

function recorder(): { sink: Sink; log: string[] } {
  const log: string[] = [];
  return {
    log,
    sink: {
      interval: (iv) => log.push(`interval ${iv.time.slice(11, 19)}`),
      feed: (n, ev) => log.push(`feed ${n} ${ev.length}`),
      health: (n, h) => log.push(`health ${n} ${h.state}`),
      rewind: () => log.push('rewind'),
    },
  };
}

describe('replay source', () => {
  it('hands each interval to the sinks as the manager does: health changes, feed events, the interval', () => {
    const withEvents = JSON.parse(LINES[0]) as Record<string, unknown>;
    if (feed.name === 'exec') withEvents.exec = [execEvent(), execEvent({ pid: 2 })];
    const lines = [JSON.stringify(withEvents), ...LINES.slice(1, 3)];
    const r = recorder();
    const src = new ReplaySource(CATALOGUE, lines, { sinks: [r.sink] });
    src.emitRange();
    const firstHealth = CATALOGUE.map((s) => `health ${s.name} off`);
    expect(r.log.slice(0, CATALOGUE.length)).toEqual(firstHealth);
    if (feed.name === 'exec') expect(r.log).toContain('feed exec 2');
    expect(r.log.filter((l) => l.startsWith('interval'))).toEqual(['interval 14:03:00', 'interval 14:03:01', 'interval 14:03:02']);
    // Only the change of the third interval is a health event.
    expect(r.log.filter((l) => l.startsWith('health')).slice(CATALOGUE.length)).toEqual([`health ${feed.name} failed`]);
  });

  it('steps forward one by one, back by rewinding and replaying the history', () => {
    const r = recorder();
    const src = new ReplaySource(CATALOGUE, LINES, { sinks: [{ interval: r.sink.interval, rewind: r.sink.rewind }], history: 3 });
    src.seek(5);
    expect(r.log).toEqual(['rewind', 'interval 14:03:02', 'interval 14:03:03', 'interval 14:03:04', 'interval 14:03:05']);
    r.log.length = 0;
    src.step(1);
    expect(r.log).toEqual(['interval 14:03:06']);
    r.log.length = 0;
    src.step(-1);
    expect(r.log).toEqual(['rewind', 'interval 14:03:02', 'interval 14:03:03', 'interval 14:03:04', 'interval 14:03:05']);
    expect(src.position()).toMatchObject({ position: 6, total: 30, paused: true, time: new Date(T0 + 5000).toISOString() });
    src.step(-100);
    expect(src.position().position).toBe(1);
    src.step(100);
    expect(src.position()).toMatchObject({ position: 30, ended: true });
  });

  it('--from/--to select a range by time', () => {
    const src = new ReplaySource(CATALOGUE, LINES, { sinks: [] });
    expect(
      src.rangeOf({ kind: 'clock', secondOfDay: 14 * 3600 + 3 * 60 + 10, text: '' }, { kind: 'clock', secondOfDay: 14 * 3600 + 3 * 60 + 12, text: '' }),
    ).toEqual([10, 13]);
    expect(src.rangeOf({ kind: 'clock', secondOfDay: 3600, text: '' }, null)).toEqual([0, 0]);
  });
});

const HEADER: RecordingHeader = {
  host: 'db7',
  kernel: '6.1.0-27-cloud-amd64',
  boot_id: null,
  boot_time: new Date(T0 - 3600_000).toISOString(),
  cpus: [0, 1, 2, 3],
  interval_s: 1,
  perfscope_version: '0.1.0',
  probes: CATALOGUE.map((s) => s.name),
  start_time: new Date(T0).toISOString(),
  compression: '',
};

describe('a replayed screen, through the store', () => {
  it('keys reach the source through the store; header and position follow; toggles do nothing', () => {
    const { store, source } = replayScreen(SCREEN_CATALOGUE, { header: HEADER, lines: LINES, stop: null, skipped: 0, skip: null });
    try {
      source.start();
      const st = () => store.getState();
      expect(st().host).toMatchObject({ hostname: 'db7', cpus: [0, 1, 2, 3] });
      expect(st().replay).toMatchObject({ position: 1, total: 30, paused: false });
      expect(st().shown?.time).toBe(new Date(T0).toISOString());
      const right = () =>
        headerText({ hostname: 'db7', kernel: 'k', uptimeS: 0, load: null, cpus: [0], pinned: null, intervalS: 1, paused: false, replay: st().replay }, 100)
          .right;
      expect(right()).toBe('pin all │ 1s │ replay 14:03:00 (1/30)');
      handleKey(st(), ' ', {});
      expect(st().replay?.paused).toBe(true);
      expect(right()).toBe('pin all │ 1s │ replay PAUSED 14:03:00 (1/30)');
      handleKey(st(), 't', {});
      expect(st().replay?.position).toBe(2);
      handleInput(st, 'jj', {});
      expect(st().replay?.position).toBe(22);
      handleKey(st(), 'T', { shift: true });
      handleKey(st(), 'J', { shift: true });
      expect(st().replay?.position).toBe(11);
      expect(st().shown?.time).toBe(new Date(T0 + 10_000).toISOString());
      expect(st().intervals).toBe(11); // the history before it, replayed
      // A toggle key starts nothing.
      const enabled = st().enabled;
      const toggle = SCREEN_CATALOGUE.find((s) => s.key !== null)!.key!;
      expect(handleKey(st(), toggle, {})).toBe('ignored');
      expect(st().enabled).toBe(enabled);
      // Pinning changes the view only.
      handleKey(st(), ']', {});
      expect(st().pinnedCpu).toBe(0);
      // g: a time of day, typed in one chunk with its Enter.
      handleKey(st(), 'g', {});
      expect(st().replayPrompt).toBe('');
      handleInput(st, '14:03:25\r', {});
      expect(st().replayPrompt).toBeNull();
      expect(st().replay?.position).toBe(26);
      expect(st().notice).toBeNull();
      // Bad input: one line, the position stays.
      handleKey(st(), 'g', {});
      handleInput(st, 'noon\r', {});
      expect(st().notice).toMatch(/^go to: a time is HH:MM:SS/);
      expect(st().notice).not.toContain('\n');
      handleKey(st(), 'g', {});
      handleInput(st, '09:00:00', {});
      handleKey(st(), '', { return: true });
      expect(st().notice).toMatch(/^go to: no interval at 09:00:00: the recording spans/);
      expect(st().replay?.position).toBe(26);
      // Esc closes the prompt without going anywhere; q quits.
      handleKey(st(), 'g', {});
      handleKey(st(), 'q', {});
      expect(st().replayPrompt).toBe('q');
      handleKey(st(), '', { escape: true });
      expect(st().replayPrompt).toBeNull();
      expect(handleKey(st(), 'q', {})).toBe('quit');
    } finally {
      source.stop();
    }
  });
});
