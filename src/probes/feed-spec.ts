// What the three event feeds (exec, open, tcp) share in their specs: the sample of an interval
// is its events in order, --json holds them under the probe's name, and the status line and the
// overview give the rate and the newest event. Pure; the ring-buffer side is in feed.ts.
import { fmtCount } from '../model/format.js';
import { perSecond } from '../model/counter.js';
import type { JsonLine, Probe, ProbeSpec } from './types.js';

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
    summary: (events, v) => rate(events, v.intervalS),
    overview: (events, v) => {
      const last = events[events.length - 1];
      return [`${rate(events, v.intervalS)}${last ? `  latest ${last.comm}[${last.pid}] ${p.brief(last)}` : ''}`];
    },
  };
}
