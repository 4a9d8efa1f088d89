// The units the record and replay flags take: durations (--duration 90s, 10m, 1h), sizes
// (--max-size 10M) and points in time (--from/--to/--at, the g prompt: HH:MM:SS, ISO 8601 or
// relative to now, 10m ago).
// Pure; a bad value is a RangeError with a one-line message.

/** Seconds: a number with an optional unit, ms, s (default), m, h or d. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new RangeError(`a duration is a number with s, m, h or d (e.g. 90s, 10m, 1h, 7d), got '${v}'`);
  const k = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] ?? 's'] as number;
  const s = Number(m[1]) * k;
  if (!(s > 0)) throw new RangeError(`a duration must be more than 0, got '${v}'`);
  return s;
}

/** Bytes: a whole number with an optional unit K, M, G (powers of 1024; "KB", "MiB" also read). */
export function parseSize(v: string): number {
  const m = /^(\d+)\s*(?:([KMG])(?:i?B)?|B)?$/i.exec(v.trim());
  if (!m) throw new RangeError(`a size is a whole number with K, M or G (e.g. 10M), got '${v}'`);
  const k = m[2] ? 1024 ** ('KMG'.indexOf(m[2].toUpperCase()) + 1) : 1;
  const n = Number(m[1]) * k;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a size must be at least 1 byte, got '${v}'`);
  return n;
}

/** A point in a recording: a time of day (UTC, as the recorded times are) or an absolute time. */
export type TimeSpec =
  | { readonly kind: 'clock'; readonly secondOfDay: number; readonly text: string }
  | { readonly kind: 'absolute'; readonly ms: number; readonly text: string };

/** Seconds in each unit a relative time takes (s, m, h, d; w for weeks). */
const REL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * A time relative to now: `10m ago`, `-2h`, `6s ago`, `1h30m ago`, `-1d12h`. Written by hand, and
 * why: the forms are few (below's and journalctl's), and the npm parsers of human times take far
 * more (natural language, locales) than a command line that must reject what it does not mean.
 * Null when `t` is not of that form.
 */
export function parseRelative(t: string, now: number): TimeSpec | null {
  const m = /^(?:-\s*((?:\d{1,9}(?:\.\d{1,6})?\s*[smhdw]\s*)+)|((?:\d{1,9}(?:\.\d{1,6})?\s*[smhdw]\s*)+)ago)$/i.exec(t);
  if (!m) return null;
  let s = 0;
  for (const p of (m[1] ?? m[2]).matchAll(/(\d+(?:\.\d+)?)\s*([smhdw])/gi)) s += Number(p[1]) * (REL_UNITS[p[2].toLowerCase()] as number);
  return { kind: 'absolute', ms: now - Math.round(s * 1000), text: t };
}

/**
 * A time as the replay flags and the g prompt take it: relative to `now` (`10m ago`, `-2h`), a
 * time of day (HH:MM[:SS], UTC as the recorded times are), or ISO 8601.
 */
export function parseTimeSpec(v: string, now: number = Date.now()): TimeSpec {
  const t = v.trim();
  const rel = parseRelative(t, now);
  if (rel) return rel;
  const c = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (c) {
    const [h, m, s] = [Number(c[1]), Number(c[2]), Number(c[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) throw new RangeError(`not a time of day: '${v}'`);
    return { kind: 'clock', secondOfDay: h * 3600 + m * 60 + s, text: t };
  }
  // ISO 8601 with a date: 2026-11-24T18:11:29Z, 2026-11-24T18:11:29.5+01:00, 2026-11-24 18:11.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(/[T ]/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t.replace(' ', 'T') + 'Z' : t.replace(' ', 'T'));
    if (Number.isFinite(ms)) return { kind: 'absolute', ms, text: t };
  }
  throw new RangeError(`a time is HH:MM:SS (UTC), ISO 8601 (2026-11-24T18:11:29Z) or relative to now (10m ago, -2h), got '${v}'`);
}

const DAY = 86_400_000;

/**
 * The first of `times` (ms, ascending) at or after the spec: a time of day is taken on each day
 * the recording spans, the first that falls inside it. -1: the recording holds no such time.
 */
export function indexAt(times: readonly number[], spec: TimeSpec): number {
  if (times.length === 0) return -1;
  const first = times[0];
  const last = times[times.length - 1];
  let target: number | null = null;
  if (spec.kind === 'absolute') target = spec.ms;
  else {
    for (let day = Math.floor(first / DAY) * DAY; day <= last; day += DAY) {
      const t = day + spec.secondOfDay * 1000;
      // A time of day names its whole second.
      if (t + 999 >= first && t <= last) {
        target = t;
        break;
      }
    }
  }
  if (target === null || target > last) return -1;
  const i = times.findIndex((x) => x >= target!);
  return i;
}

/** The index after the last of `times` at or before the spec (for --to: the second named is included). */
export function indexUntil(times: readonly number[], spec: TimeSpec): number {
  if (times.length === 0) return 0;
  let limit: number;
  if (spec.kind === 'absolute') limit = spec.ms;
  else {
    // The last day on which the time of day falls at or after the recording's start.
    const first = times[0];
    let best: number | null = null;
    for (let day = Math.floor(first / DAY) * DAY; day <= times[times.length - 1]; day += DAY) {
      const t = day + spec.secondOfDay * 1000 + 999;
      if (t >= first) best = t;
    }
    if (best === null) return 0;
    limit = best;
  }
  let n = 0;
  while (n < times.length && times[n] <= limit) n++;
  return n;
}

/** HH:MM:SS (UTC) of an ISO time. */
export function clockOf(iso: string | null): string {
  if (!iso) return '--:--:--';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : '--:--:--';
}
