// What the three event feeds (exec, open, tcp) share in their specs: the sample of an interval
// is its events in order, --json holds them under the probe's name, and the status line and the
// overview give the rate and the newest event. Pure; the ring-buffer side is in feed.ts.
import { fmtCount } from '../model/format.js';
import { perSecond } from '../model/counter.js';
import type { JsonLine, Probe, PromExporter, ProbeSpec } from './types.js';

export interface FeedEventBase {
  /** Milliseconds since the epoch, with a sub-millisecond fraction. */
  ts: number;
  pid: number;
  comm: string;
}

export interface FeedSpecParts<N extends string, E extends FeedEventBase> {
  readonly name: N;
  readonly title: string;
  readonly key: string;
  readonly grid: ProbeSpec['grid'];
  readonly create: () => Promise<Probe<E[], E>>;
  /** The event in a few words, for the overview ("ls -l /tmp", "/etc/passwd"). */
  readonly brief: (e: E) => string;
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
  const rate = (events: readonly E[], intervalS: number) => `${fmtCount(perSecond(events.length, intervalS))}/s`;
  return {
    name: p.name,
    title: p.title,
    tab: p.name,
    key: p.key,
    kind: 'feed',
    bpf: true,
    grid: p.grid,
    create: p.create,
    toJson: (events) => ({ [p.name]: events }),
    fromJson: (line: JsonLine) => {
      const v = line[p.name];
      return Array.isArray(v) ? (v as E[]) : null;
    },
    prometheus: () => feedExporter(p),
    summary: (events, v) => rate(events, v.intervalS),
    overview: (events, v) => {
      const last = events[events.length - 1];
      return [`${rate(events, v.intervalS)}${last ? `  latest ${last.comm}[${last.pid}] ${p.brief(last)}` : ''}`];
    },
  };
}
