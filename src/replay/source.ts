// The replay source: a recording's --json lines turned back into intervals (each probe's
// fromJson, through intervalFromJson) and handed to sinks exactly as the probe manager hands live
// ones: each interval's feed events to feed(), health changes to health(), then the interval. It
// plays at the recorded pace (each record's interval_s), pauses, steps and seeks; going back means
// telling the sinks to forget (rewind) and replaying the `history` intervals before the target, so
// the trends and feed panes show what they showed then. It reads nothing itself: the lines come
// from the reader (src/replay/format.ts). It needs no BPF and never loads the addon.
import type { Catalogue, EventOf, FeedName, Interval, ProbeName } from '../catalogue/catalogue.js';
import { healthOf, sampleOf } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import type { ProbeHealth } from '../probes/types.js';
import { intervalFromJson } from '../catalogue/codec.js';
import { checkRecord } from './validate.js';
import { indexAt, indexUntil, parseTimeSpec, type TimeSpec } from './units.js';

export interface ReplayPosition {
  /** 1-based index of the interval shown (0 before the first). */
  readonly position: number;
  readonly total: number;
  /** Its recorded time (ISO 8601), or null. */
  readonly time: string | null;
  readonly paused: boolean;
  /** The last interval is shown and playing has stopped. */
  readonly ended: boolean;
  /** Seconds nothing was recorded before the interval shown (a gap between runs or shards), 0 when none. */
  readonly gap_s?: number;
}

export interface ReplayOptions {
  readonly sinks: readonly Sink[];
  /** Intervals replayed before a seek target so trends and feeds are as they were (default 0). */
  readonly history?: number;
  /** Called after every change of position or play state. */
  readonly onPosition?: (p: ReplayPosition) => void;
  /** Fallback pace when a record has no interval_s. */
  readonly intervalS?: number;
}

/** The time of a --json line without parsing all of it (it starts with {"time":"..."). */
function lineTime(line: string): number {
  const m = /^\{"time":"([^"]{1,40})"/.exec(line);
  const t = m ? Date.parse(m[1]) : NaN;
  return Number.isFinite(t) ? t : NaN;
}

/**
 * Hand an interval to sinks as the manager's tick does: health changes first (against
 * `prevHealth`, updated), then each feed's events, then the interval. The replay and the remote
 * source (--connect, remote.ts) both deliver through it.
 */
export function deliver(cat: Catalogue, iv: Interval, sinks: readonly Sink[], prevHealth: Map<string, string>): void {
  for (const spec of cat) {
    const h: ProbeHealth = healthOf(iv, spec.name);
    const key = h.state + '\0' + (h.reason ?? '');
    if (prevHealth.get(spec.name) === key) continue;
    prevHealth.set(spec.name, key);
    for (const s of sinks) s.health?.(spec.name as ProbeName, h);
  }
  for (const spec of cat) {
    if (spec.kind !== 'feed') continue;
    const events = sampleOf(iv, spec.name);
    if (Array.isArray(events) && events.length) {
      for (const s of sinks) s.feed?.(spec.name as FeedName, events as readonly EventOf<FeedName>[]);
    }
  }
  for (const s of sinks) s.interval?.(iv);
}

export class ReplaySource {
  private pos = -1;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private prevHealth = new Map<string, string>();
  private readonly times: number[];

  constructor(
    readonly catalogue: Catalogue,
    private readonly lines: readonly string[],
    private readonly opts: ReplayOptions,
  ) {
    // Times for seeking; a line without a readable time keeps its predecessor's (still ascending).
    let last = 0;
    this.times = lines.map((l) => (last = Number.isFinite(lineTime(l)) ? lineTime(l) : last));
  }

  get total(): number {
    return this.lines.length;
  }

  /** The interval of record i (0-based): parsed, escaped and checked (validate.ts); one that fails has no probe data. */
  intervalAt(i: number): Interval {
    const c = checkRecord(this.catalogue, this.lines[i]);
    return intervalFromJson(this.catalogue, c.ok ? c.line : {});
  }

  /** Hand record i to every sink, as the manager's tick does (feeds first, then the interval). */
  private emit(i: number): Interval {
    const iv = this.intervalAt(i);
    deliver(this.catalogue, iv, this.opts.sinks, this.prevHealth);
    return iv;
  }

  /** The records [a, b) from the first at or after `from` to the last at or before `to`. */
  rangeOf(from: TimeSpec | null, to: TimeSpec | null): [number, number] {
    const a = from === null ? 0 : indexAt(this.times, from);
    const b = to === null ? this.lines.length : indexUntil(this.times, to);
    return a < 0 ? [0, 0] : [a, Math.max(a, b)];
  }

  /** Every record of [from, to) in order, at once (replay --json). */
  emitRange(from = 0, to = this.lines.length): void {
    for (let i = Math.max(0, from); i < Math.min(to, this.lines.length); i++) this.emit(i);
    this.pos = Math.min(to, this.lines.length) - 1;
  }

  position(): ReplayPosition {
    const at = this.pos >= 0 ? this.lines[this.pos] : undefined;
    const t = at !== undefined ? this.times[this.pos] : NaN;
    return {
      position: this.pos + 1,
      total: this.lines.length,
      time: Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : null,
      gap_s: this.pos > 0 ? Math.round(this.gapBefore(this.pos) / 1000) : 0,
      paused: this.paused,
      ended: this.lines.length > 0 && this.pos >= this.lines.length - 1,
    };
  }

  private report(): void {
    this.opts.onPosition?.(this.position());
  }

  /** Show record i (clamped): forward by replaying what lies between, back (or far) by rewinding. */
  seek(i: number): void {
    if (this.lines.length === 0) return;
    const target = Math.max(0, Math.min(this.lines.length - 1, i));
    const history = this.opts.history ?? 0;
    if (target === this.pos) return this.report();
    let from = this.pos + 1;
    if (target < this.pos || target - this.pos > history + 1) {
      for (const s of this.opts.sinks) s.rewind?.();
      this.prevHealth.clear();
      from = Math.max(0, target - history);
    }
    for (let k = from; k <= target; k++) this.emit(k);
    this.pos = target;
    this.report();
  }

  /** Step n records (pauses playing, like a player's frame step). */
  step(n: number): void {
    this.paused = true;
    this.clearTimer();
    this.seek(this.pos + n);
  }

  /** The first and last recorded times (ISO 8601), or null when empty. */
  span(): [string, string] | null {
    if (this.times.length === 0) return null;
    return [new Date(this.times[0]).toISOString(), new Date(this.times[this.times.length - 1]).toISOString()];
  }

  /** The index of the first record at or after `spec`, or a one-line error. */
  indexOf(spec: TimeSpec): number | string {
    const i = indexAt(this.times, spec);
    if (i >= 0) return i;
    const span = this.span();
    return `no interval at ${spec.text}: the recording spans ${span ? `${span[0]} to ${span[1]}` : 'nothing'}`;
  }

  /**
   * The gap before record i (ms), when the recording stopped in between (more than twice the
   * later record's interval between the two: a recorder that was not running, a disk that was
   * full); 0 otherwise. Nothing is replayed in a gap: the next record follows at its own pace.
   */
  gapBefore(i: number): number {
    if (i <= 0 || i >= this.times.length) return 0;
    const d = this.times[i] - this.times[i - 1];
    const s = Number(/"interval_s":([\d.]+)/.exec(this.lines[i].slice(0, 200))?.[1]);
    const iv = s > 0 ? s * 1000 : (this.opts.intervalS ?? 1) * 1000;
    return d > 2 * iv ? d : 0;
  }

  /** Go to the first record at or after a time (HH:MM[:SS] UTC, ISO 8601, or relative to now: 10m ago, -2h); a one-line error, or null. */
  seekTime(text: string): string | null {
    let spec;
    try {
      spec = parseTimeSpec(text);
    } catch (e) {
      return (e as Error).message;
    }
    const i = this.indexOf(spec);
    if (typeof i === 'string') return i;
    this.seek(i);
    if (!this.paused) this.schedule();
    return null;
  }

  togglePause(): void {
    this.paused = !this.paused;
    this.clearTimer();
    if (!this.paused) {
      // Resuming at the end starts over.
      if (this.pos >= this.lines.length - 1) this.seek(0);
      this.schedule();
    }
    this.report();
  }

  /** Show the first record (or record `at`), then play at the recorded pace. */
  start(at = 0): void {
    this.seek(at);
    this.schedule();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.clearTimer();
    if (this.stopped || this.paused || this.pos >= this.lines.length - 1) return;
    const next = this.times[this.pos + 1] - this.times[this.pos];
    // The recorded pace: the next record's own interval_s (its time minus this one's, when that is missing).
    let s = Number(/"interval_s":([\d.]+)/.exec(this.lines[this.pos + 1].slice(0, 200))?.[1]);
    if (!(s > 0)) s = next > 0 ? next / 1000 : (this.opts.intervalS ?? 1);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.stopped || this.paused) return;
        this.seek(this.pos + 1);
        this.schedule();
      },
      Math.min(3_600_000, Math.max(50, s * 1000)),
    );
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }
}
