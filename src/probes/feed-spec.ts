// What the three event feeds (exec, open, tcp) share in their data specs: the sample of an
// interval is its events in order, --json holds them under the probe's name, Prometheus counts
// them by one label. Pure; the ring-buffer side is in feed.ts, the view in src/views/feed.ts.
import type { JsonLine, ProbeOption, ProbeSpec } from './types.js';
import type { PromExporter } from './prom.js';
import { arrayOf, checked, type Check } from './json-check.js';
import type { CgroupRef } from './cgroup/registry.js';

export interface FeedEventBase {
  /** Milliseconds since the epoch, with a sub-millisecond fraction. */
  ts: number;
  pid: number;
  comm: string;
  /** The task's v2 cgroup (absent in recordings made before perfscope recorded it). */
  cgroup?: CgroupRef;
}

/**
 * A feed's sample: its interval's events in order. In count mode (FeedProbe.keepNewest, for a
 * sink that shows only the interval's count and newest event) the list holds only the newest
 * events and `total` is the interval's count; JSON has no room for it (an array), which is
 * why count mode is only used when no sink writes or exports the events.
 */
export type FeedEvents<E> = E[] & { total?: number };

/** Events in a feed's interval (kept or only counted). */
export function feedCount(events: readonly unknown[] & { total?: number }): number {
  return events.total ?? events.length;
}

/** Events of an interval kept for --json, a recording and /metrics, by default (the feed's --<feed>-max). */
export const FEED_INTERVAL_MAX = 50_000;

/**
 * Bytes of a feed's events, as their --json text, kept per interval (for --json, a recording and
 * /metrics): the events that come after are counted as lost, as those beyond FEED_INTERVAL_MAX
 * are. 50,000 events of a typical size (150-450 bytes) fit; 50,000 of 14 KB (20 arguments of
 * bytes that escape to \xNN) would not.
 */
export const FEED_INTERVAL_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Bytes of raw records the native reader queues per feed between two intervals (FeedReader's
 * interval queue, on top of its count): the records that come after are counted as lost. A
 * record is 56-3,000 bytes (exec: 304 + 128 per argument).
 */
export const FEED_QUEUE_MAX_BYTES = 32 * 1024 * 1024;

/** The flag of a feed's per-interval cap: "open-max". */
export const feedMaxFlag = (name: string) => `${name}-max`;

/** A feed's per-interval cap as a setting (ProbeSpec.options). */
function maxOption(name: string): ProbeOption {
  return {
    flag: feedMaxFlag(name),
    kind: 'integer',
    metavar: 'N',
    help: `${name}: events kept per interval for --json, --record and --listen (default ${FEED_INTERVAL_MAX}; more are counted as lost)`,
    default: FEED_INTERVAL_MAX,
    min: 1,
    max: 1_000_000,
  };
}

export interface FeedSpecParts<N extends string, E extends FeedEventBase> {
  readonly name: N;
  /** The schema of one event in --json (what a replay checks a recorded event against). */
  readonly event: Check;
  /** Its Prometheus counter `perfscope_<name>_events_total`, by one label. */
  readonly prom: FeedPromParts<E>;
}

export interface FeedPromParts<E> {
  /** What an event is, for HELP ("execve/execveat calls, also failed ones"). */
  readonly what: string;
  readonly label: string;
  /** Every value of the label (each series exists from the first interval on, at 0). */
  readonly values: readonly string[];
  readonly classify: (e: E) => string;
}

/**
 * Prometheus: the feed's events counted since perfscope started, by one label, from the events
 * each interval lists (every one, up to the interval's cap; those beyond the cap and those the
 * kernel dropped are in perfscope_probe_lost_events_total instead).
 */
function feedExporter<N extends string, E extends FeedEventBase>(p: FeedSpecParts<N, E>): PromExporter<E[]> {
  const counts = new Map<string, number>();
  let seen = false;
  return {
    add(events) {
      if (!events) return;
      if (!seen) for (const v of p.prom.values) counts.set(v, 0);
      seen = true;
      for (const e of events) {
        const v = p.prom.classify(e);
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    },
    families: () =>
      seen
        ? [
            {
              name: `perfscope_${p.name}_events`,
              type: 'counter',
              help: `${p.prom.what}, by ${p.prom.label}, since perfscope started (every event of each interval; events the kernel dropped or beyond an interval's cap are counted in perfscope_probe_lost_events_total instead; -p/-c filter them).`,
              series: [...counts].map(([v, n]) => ({ labels: { [p.prom.label]: v }, value: n })),
            },
          ]
        : [],
  };
}

export function feedSpec<N extends string, E extends FeedEventBase>(p: FeedSpecParts<N, E>): ProbeSpec<N, E[], E> {
  const events = arrayOf(p.event);
  return {
    name: p.name,
    kind: 'feed',
    bpf: true,
    options: [maxOption(p.name)],
    toJson: (events) => ({ [p.name]: events }),
    fromJson: (line: JsonLine) => checked<E[]>(line[p.name], events, p.name),
    prometheus: () => feedExporter(p),
  };
}
