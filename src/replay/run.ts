// What the command line needs for record and replay: the header a recording starts with (this
// host), reading a recording for replay (one-line errors), replay --json, and the store a
// replayed screen runs on. The screen itself and the exits are the CLI's (src/cli/cli.ts).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Catalogue } from '../catalogue/catalogue.js';
import { CATALOGUE, probeNames } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import type { Sink } from '../catalogue/sink.js';
import { createAppStore, TREND_POINTS, type AppStore } from '../store/store.js';
import { storeSink } from '../store/store-sink.js';
import { COMPRESSION, readRecording, stopMessage, type RecordingHeader } from './format.js';
import { ReplaySource } from './source.js';
import { checkRecord } from './validate.js';
import { escapeText } from '../probes/strings.js';
import { parseTimeSpec } from './units.js';

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

/** The header of a recording made now, on this host. */
export function recordingHeader(cat: Catalogue, cpus: readonly number[], intervalS: number, version: string): RecordingHeader {
  let bootId: string | null = null;
  try {
    bootId = readFileSync(BOOT_ID, 'utf8').trim();
  } catch {
    bootId = null;
  }
  return {
    host: os.hostname(),
    kernel: os.release(),
    boot_id: bootId,
    boot_time: new Date(Math.round(Date.now() - os.uptime() * 1000)).toISOString(),
    cpus: [...cpus],
    interval_s: intervalS,
    perfscope_version: version,
    probes: probeNames(cat),
    start_time: new Date().toISOString(),
    compression: COMPRESSION,
  };
}

/** Bad input: not there, not a recording, a newer format. One line; exit 2. */
export class ReplayInputError extends Error {}

export interface LoadedRecording {
  readonly header: RecordingHeader;
  readonly lines: string[];
  /** Where reading stopped short (truncated or corrupt), as one line, or null. */
  readonly stop: string | null;
  /** Records skipped because they are not of the recorded format (src/replay/validate.ts). */
  readonly skipped: number;
  /** What was skipped, as one line (how many, the first one's record number and why), or null. */
  readonly skip: string | null;
}

export function loadRecording(file: string, cat: Catalogue = CATALOGUE): LoadedRecording {
  // The name is quoted in messages: escaped as any untrusted text.
  const name = escapeText(file);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message.split('\n')[0];
    throw new ReplayInputError(`${name}: ${why}`);
  }
  const r = readRecording(buf);
  if (!r.ok) throw new ReplayInputError(`${name}: ${r.error}`);
  // Every record checked once here (parsed, escaped, each probe's part against its schema); the
  // bad ones skipped and counted. The source parses the good ones again as it shows them.
  const lines: string[] = [];
  let skipped = 0;
  let first = '';
  r.lines.forEach((line, i) => {
    const c = checkRecord(cat, line);
    if (c.ok) lines.push(line);
    else if (skipped++ === 0) first = `record ${i + 1}: ${c.why}`;
  });
  const skip = skipped ? `${name}: skipped ${skipped} of ${r.lines.length} records, not of the recorded format (${first})` : null;
  return { header: r.header, lines, stop: r.stop ? stopMessage(name, r.stop) : null, skipped, skip };
}

/** replay --json: every interval in [from, to] through the given sinks (the json sink), at once. */
export function replayAll(cat: Catalogue, rec: LoadedRecording, sinks: readonly Sink[], from: string | null, to: string | null): void {
  const src = new ReplaySource(cat, rec.lines, { sinks });
  const [a, b] = src.rangeOf(from === null ? null : parseTimeSpec(from), to === null ? null : parseTimeSpec(to));
  src.emitRange(a, b);
}

/** The store a replayed screen shows, and its source (not started yet; already attached to the store, which its keys drive). */
export function replayScreen(cat: ScreenCatalogue, rec: LoadedRecording): { store: AppStore; source: ReplaySource } {
  const h = rec.header;
  const boot = h.boot_time ? Date.parse(h.boot_time) : NaN;
  let pinned: number | null = null;
  try {
    const first = rec.lines.length ? (JSON.parse(rec.lines[0]) as { pinned_cpu?: unknown }) : {};
    pinned = typeof first.pinned_cpu === 'number' ? first.pinned_cpu : null;
  } catch {
    pinned = null;
  }
  const store = createAppStore({
    catalogue: cat,
    host: { hostname: h.host, kernel: h.kernel, cpus: h.cpus, ...(Number.isFinite(boot) ? { bootTimeMs: boot } : {}) },
    intervalS: h.interval_s,
    pinnedCpu: pinned,
    enabled: [],
    replay: { position: 0, total: rec.lines.length, time: null, paused: false, ended: false },
  });
  const source = new ReplaySource(cat, rec.lines, {
    sinks: [storeSink(store)],
    history: TREND_POINTS,
    intervalS: h.interval_s,
    onPosition: (p) => store.getState().setReplay(p),
  });
  store.getState().attachReplay(source);
  const notice = [rec.stop, rec.skip].filter((m) => m !== null).join('; ');
  if (notice) store.getState().setNotice(notice);
  return { store, source };
}
