// What the command line needs for record and replay: the header a recording starts with (this
// host), reading a recording for replay (one-line errors), replay --json, and the store a
// replayed screen runs on. The screen itself and the exits are the CLI's (src/cli/cli.ts).
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import type { Catalogue } from '../catalogue/catalogue.js';
import { CATALOGUE, probeNames } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import type { Sink } from '../catalogue/sink.js';
import { createAppStore, TREND_POINTS, type AppStore } from '../store/store.js';
import { storeSink } from '../store/store-sink.js';
import { COMPRESSION, MAX_INFLATED, readRecording, stopMessage, type ReadResult, type RecordingHeader } from './format.js';
import { listShards, readShard } from './shards.js';
import { ReplaySource } from './source.js';
import { checkRecord } from './validate.js';
import { escapeText } from '../probes/strings.js';
import { parseTimeSpec, type TimeSpec } from './units.js';

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

/** The part of a directory worth reading (ms since the epoch; null: unbounded): the shards that may hold times in it. */
export interface ReadWindow {
  readonly from: number | null;
  readonly to: number | null;
}

/**
 * A recording directory (record --dir) read as one timeline: its shards (only names of the shard
 * pattern, src/replay/shards.ts), each read and checked as a file is, their records back to back,
 * oldest first. Nothing is put between shards: where nothing was recording the times jump (a gap),
 * and the replay says so (ReplaySource.gapBefore). Only the shards that may hold times in `window`
 * are read (a shard holds the times from its name's to the next shard's). All the shards read
 * together stay within the reader's bound (MAX_INFLATED): they are read newest first, so when a
 * directory holds more than that, the newest history is the one kept, and one line says so. A
 * shard that is not a recording, cut in its header, or unreadable is left out with one line; one
 * of a newer format version refuses the whole directory (exit 2), as a file of it would.
 */
function loadDirectory(dir: string, cat: Catalogue, window: ReadWindow): LoadedRecording {
  const name = escapeText(dir);
  let all;
  try {
    all = listShards(dir);
  } catch (e) {
    throw new ReplayInputError(`${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
  if (all.length === 0) throw new ReplayInputError(`${name}: no recording in this directory (no perfscope-*.psrec shard)`);
  const shards = all.filter(
    (s, i) => (window.to === null || s.start <= window.to) && (window.from === null || i === all.length - 1 || all[i + 1].start > window.from),
  );
  if (shards.length === 0)
    throw new ReplayInputError(`${name}: no shard holds that range (${all.length} shards, the first from ${new Date(all[0].start).toISOString()})`);
  const parts: { name: string; lines: string[] }[] = [];
  const notes: string[] = [];
  let header: RecordingHeader | null = null;
  let budget = MAX_INFLATED;
  for (let k = shards.length - 1; k >= 0; k--) {
    const s = shards[k];
    const file = `${name}/${s.name}`;
    if (budget <= 0) {
      notes.push(`${name}: ${k + 1} older shards not read (the reader's bound of ${MAX_INFLATED} bytes is reached: give --from for an older range)`);
      break;
    }
    let r: ReadResult;
    try {
      r = readRecording(readShard(dir, s.name, 1 << 30), { maxInflated: budget });
    } catch (e) {
      notes.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (!r.ok) {
      if (r.error.includes('is newer than this perfscope reads')) throw new ReplayInputError(`${file}: ${r.error}`);
      notes.push(`${file}: ${r.error}: skipped`);
      continue;
    }
    header = r.header; // the oldest read, in the end
    if (r.stop) notes.push(stopMessage(file, r.stop));
    for (const line of r.lines) budget -= Buffer.byteLength(line);
    parts.push({ name: s.name, lines: r.lines });
  }
  if (!header) throw new ReplayInputError(`${name}: no readable shard (${notes[0] ?? ''})`);
  const lines: string[] = [];
  let total = 0;
  let skipped = 0;
  let first = '';
  for (const p of parts.reverse()) {
    p.lines.forEach((line, i) => {
      const c = checkRecord(cat, line);
      if (c.ok) lines.push(line);
      else if (skipped++ === 0) first = `${p.name} record ${i + 1}: ${c.why}`;
    });
    total += p.lines.length;
  }
  const skip = skipped ? `${name}: skipped ${skipped} of ${total} records, not of the recorded format (${first})` : null;
  // Interrupted shards are expected (a recorder killed, a full disk): said in one line, the first and how many.
  const stop = notes.length ? (notes.length === 1 ? notes[0] : `${notes[0]} (and ${notes.length - 1} more shards read short)`) : null;
  return { header, lines, stop, skipped, skip };
}

/** The window of a --from/--to pair for loadRecording: absolute and relative times bound it; a time of day (which day?) does not. */
export function windowOf(from: TimeSpec | null, to: TimeSpec | null): ReadWindow {
  return { from: from?.kind === 'absolute' ? from.ms : null, to: to?.kind === 'absolute' ? to.ms : null };
}

export function loadRecording(file: string, cat: Catalogue = CATALOGUE, window: ReadWindow = { from: null, to: null }): LoadedRecording {
  // The name is quoted in messages: escaped as any untrusted text.
  const name = escapeText(file);
  try {
    if (statSync(file).isDirectory()) return loadDirectory(file, cat, window);
  } catch (e) {
    if (e instanceof ReplayInputError) throw e;
    /* not there: said below */
  }
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

/** A time as typed (--from, --to, --at), relative ones to `now`; null stays null. */
export function timeArg(v: string | null, now: number): TimeSpec | null {
  return v === null ? null : parseTimeSpec(v, now);
}

/** The recording cut to [from, to] (the records in that range), or a one-line error when none is in it. */
export function rangeOf(rec: LoadedRecording, from: TimeSpec | null, to: TimeSpec | null): LoadedRecording {
  if (from === null && to === null) return rec;
  const src = new ReplaySource(CATALOGUE, rec.lines, { sinks: [] });
  const [a, b] = src.rangeOf(from, to);
  if (b <= a) {
    const span = src.span();
    throw new ReplayInputError(
      `no interval from ${from?.text ?? 'the start'} to ${to?.text ?? 'the end'}: the recording spans ${span ? `${span[0]} to ${span[1]}` : 'nothing'}`,
    );
  }
  return { ...rec, lines: rec.lines.slice(a, b) };
}

/** replay --json: every interval of the (cut) recording through the given sinks (the json sink), at once; with `at`, the one at that time. */
export function replayAll(cat: Catalogue, rec: LoadedRecording, sinks: readonly Sink[], at: TimeSpec | null = null): string | null {
  const src = new ReplaySource(cat, rec.lines, { sinks });
  if (at !== null) {
    const i = src.indexOf(at);
    if (typeof i === 'string') return i;
    src.emitRange(i, i + 1);
    return null;
  }
  src.emitRange(0, rec.lines.length);
  return null;
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
