// The data slice: what the manager or the replay source delivers (intervals, feed batches,
// health), the trend and the recent samples kept from it, and what of it the screen shows. Its
// actions are the store sink's (src/store/store-sink.ts); only pause (the view slice's
// togglePause) freezes the shown copies.
import type { FeedName } from '../catalogue/catalogue.js';
import { sampleOf } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import { Ring } from './ring.js';
import { trendPoint } from './selectors.js';
import {
  FEED_CAPACITY,
  TREND_POINTS,
  WINDOW_INTERVALS,
  type DataActions,
  type DataState,
  type Feeds,
  type FeedState,
  type FrozenFeeds,
  type Slice,
  type StoreInit,
} from './state.js';

export function emptyFeeds(cat: ScreenCatalogue): Feeds {
  const out: Record<string, FeedState<unknown>> = {};
  for (const s of cat) if (s.kind === 'feed') out[s.name] = { lines: new Ring(FEED_CAPACITY), seq: 0, lost: 0 };
  return out as Feeds;
}

/** The feeds' lines as they are now (pause shows these). */
export function frozenFeeds(feeds: Feeds): FrozenFeeds {
  const out: Record<string, readonly unknown[]> = {};
  for (const [n, f] of Object.entries(feeds) as [string, FeedState<unknown>][]) out[n] = f.lines.toArray();
  return out as FrozenFeeds;
}

export function dataSlice(init: StoreInit): Slice<DataState & DataActions> {
  const cat = init.catalogue;
  return (set, get) => ({
    catalogue: cat,
    host: init.host,
    intervalS: init.intervalS,
    health: Object.fromEntries(cat.map((s) => [s.name, { state: init.enabled.includes(s.name) ? 'starting' : 'off' }])) as DataState['health'],
    latest: null,
    shown: null,
    intervals: 0,
    feeds: emptyFeeds(cat),
    shownFeeds: null,
    trend: [],
    shownTrend: null,
    recent: [],

    commitInterval: (iv) =>
      set((s) => {
        // Feed losses accumulate from each interval's cost().lost.
        let feeds = s.feeds;
        for (const n of Object.keys(feeds) as FeedName[]) {
          const lost = iv.probes[n]?.cost?.lost ?? 0;
          if (lost > 0) feeds = { ...feeds, [n]: { ...feeds[n], lost: feeds[n].lost + lost } };
        }
        const trend = [...s.trend.slice(-(TREND_POINTS - 1)), trendPoint(cat, iv)];
        const merged = cat.filter((p) => p.merge);
        const recent = merged.length
          ? [...s.recent.slice(-(WINDOW_INTERVALS - 1)), { time: iv.time, samples: Object.fromEntries(merged.map((p) => [p.name, sampleOf(iv, p.name)])) }]
          : s.recent;
        return {
          latest: iv,
          shown: s.paused ? s.shown : iv,
          trend,
          recent,
          intervals: s.intervals + 1,
          health: { ...iv.probes },
          feeds,
        };
      }),
    appendFeed: (name, events) => {
      if (events.length === 0) return;
      const f = get().feeds[name];
      f.lines.pushAll(events);
      set((s) => ({ feeds: { ...s.feeds, [name]: { ...f, seq: f.seq + 1 } } }));
    },
    setHealth: (name, h) => set((s) => ({ health: { ...s.health, [name]: h } })),
    resetData: () =>
      set(() => ({ latest: null, shown: null, intervals: 0, feeds: emptyFeeds(cat), shownFeeds: null, trend: [], shownTrend: null, recent: [] })),
  });
}
