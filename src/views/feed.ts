// What the three event feeds (exec, open, tcp) share in their views: the status line and the
// overview give the rate and the newest event; the pane is the feed pane (src/ui/components/FeedPane.tsx).
import { fmtCount } from '../model/format.js';
import { perSecond } from '../model/counter.js';
import { feedCount, type FeedEventBase } from '../probes/feed-spec.js';
import type { ViewSpec } from './view.js';

export interface FeedViewParts<E extends FeedEventBase> {
  /** The probe's name, which is also its tab. */
  readonly name: string;
  readonly title: string;
  readonly key: string;
  readonly grid: ViewSpec['grid'];
  /** The event in a few words, for the overview ("ls -l /tmp", "/etc/passwd"). */
  readonly brief: (e: E) => string;
}

export function feedView<E extends FeedEventBase>(p: FeedViewParts<E>): ViewSpec<E[]> {
  const rate = (events: readonly E[] & { total?: number }, intervalS: number) => `${fmtCount(perSecond(feedCount(events), intervalS))}/s`;
  return {
    title: p.title,
    tab: p.name,
    key: p.key,
    grid: p.grid,
    presets: ['feeds'],
    summary: (events, v) => rate(events, v.intervalS),
    overview: (events, v) => {
      const last = events[events.length - 1];
      return [`${rate(events, v.intervalS)}${last ? `  latest ${last.comm}[${last.pid}] ${p.brief(last)}` : ''}`];
    },
  };
}
