// The data slice alone: what the store sink writes (intervals, feed batches, health, a rewind)
// and what it keeps of it (trend, recent samples, feed losses); the sink's writes reach no other
// slice. Pure: no rendering, no manager.
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { createAppStore, TREND_POINTS, WINDOW_INTERVALS, type AppActions, type AppState } from '../../src/store/store.js';
import { dataSlice } from '../../src/store/data-slice.js';
import { storeSink } from '../../src/store/store-sink.js';
import type { FeedName, Interval } from '../../src/catalogue/catalogue.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { execEvent, fixtureStore, running } from '../ui/fixtures.js';
import { changed, CONTROL_KEYS, DATA_KEYS, INIT, VIEW_KEYS } from './helpers.js';

const FEED = SCREEN_CATALOGUE.find((s) => s.kind === 'feed')!.name as FeedName;
const BASE = fixtureStore().getState().latest!;
const at = (i: number, over: Partial<Interval> = {}): Interval => ({ ...BASE, time: new Date(Date.parse(BASE.time) + i * 1000).toISOString(), ...over });

/** The data slice in a store of its own; `paused` stands in for the view slice's. */
function dataOnly(paused = false) {
  return createStore<AppState & AppActions>()((...a) => ({ paused, ...dataSlice(INIT)(...a) }) as AppState & AppActions);
}

describe('data slice', () => {
  it('the three slices share no key, and make up the whole state', () => {
    const all = [...DATA_KEYS, ...VIEW_KEYS, ...CONTROL_KEYS];
    expect(new Set(all).size).toBe(all.length);
    const s = createAppStore(INIT).getState() as unknown as Record<string, unknown>;
    expect(
      Object.keys(s)
        .filter((k) => typeof s[k] !== 'function')
        .sort(),
    ).toEqual([...all].sort());
  });

  it('starts empty: the probes asked for are starting, the others off', () => {
    const s = dataOnly().getState();
    expect(s).toMatchObject({ latest: null, shown: null, intervals: 0, trend: [], recent: [], shownFeeds: null, shownTrend: null });
    expect(s.health.runqlat).toEqual({ state: 'starting' });
    expect(s.health.offcpu).toEqual({ state: 'off' });
    expect(s.feeds[FEED]).toMatchObject({ seq: 0, lost: 0 });
  });

  it('an interval: latest and shown, its health, one trend point and one recent sample more', () => {
    const st = dataOnly();
    const iv = at(0);
    st.getState().commitInterval(iv);
    const s = st.getState();
    expect(s.latest).toBe(iv);
    expect(s.shown).toBe(iv);
    expect(s.intervals).toBe(1);
    expect(s.health).toEqual(iv.probes);
    expect(s.trend).toHaveLength(1);
    expect(s.recent.map((r) => r.time)).toEqual([iv.time]);
  });

  it('paused (the view slice says so): latest moves on, shown stays', () => {
    const st = dataOnly(true);
    st.getState().commitInterval(at(0));
    expect(st.getState().latest).not.toBeNull();
    expect(st.getState().shown).toBeNull();
  });

  it('keeps TREND_POINTS trend points and WINDOW_INTERVALS recent samples', () => {
    const st = dataOnly();
    for (let i = 0; i < TREND_POINTS + 5; i++) st.getState().commitInterval(at(i));
    expect(st.getState().trend).toHaveLength(TREND_POINTS);
    expect(st.getState().recent).toHaveLength(WINDOW_INTERVALS);
    expect(st.getState().recent.at(-1)!.time).toBe(at(TREND_POINTS + 4).time);
  });

  it('feed batches: lines appended, seq bumped (an empty batch changes nothing); losses add up from the intervals', () => {
    const st = dataOnly();
    const before = st.getState();
    st.getState().appendFeed(FEED, []);
    expect(st.getState()).toBe(before);
    st.getState().appendFeed(FEED, [execEvent(), execEvent({ pid: 2 })] as never);
    expect(st.getState().feeds[FEED].seq).toBe(1);
    expect(st.getState().feeds[FEED].lines.size).toBe(2);
    const lossy = (n: number) => at(n, { probes: { ...BASE.probes, [FEED]: running({ lost: 3 } as never) } });
    st.getState().commitInterval(lossy(0));
    st.getState().commitInterval(lossy(1));
    expect(st.getState().feeds[FEED].lost).toBe(6);
  });

  it('health between intervals; a rewind forgets intervals and events', () => {
    const st = dataOnly();
    st.getState().setHealth('offcpu', { state: 'failed', reason: 'boom' });
    expect(st.getState().health.offcpu).toEqual({ state: 'failed', reason: 'boom' });
    st.getState().commitInterval(at(0));
    st.getState().appendFeed(FEED, [execEvent()] as never);
    st.getState().resetData();
    expect(st.getState()).toMatchObject({ latest: null, shown: null, intervals: 0, trend: [], recent: [] });
    expect(st.getState().feeds[FEED].lines.size).toBe(0);
  });

  it("the store sink's writes reach the data slice only", () => {
    const store = createAppStore(INIT);
    const sink = storeSink(store);
    const writes: [string, () => void][] = [
      ['interval', () => sink.interval!(at(0))],
      ['feed', () => sink.feed!(FEED, [execEvent()] as never)],
      ['health', () => sink.health!('offcpu', { state: 'running' })],
      ['rewind', () => sink.rewind!()],
    ];
    for (const [what, write] of writes) {
      const before = store.getState();
      write();
      const keys = changed(before, store.getState());
      expect(keys.length, what).toBeGreaterThan(0);
      expect(
        keys.filter((k) => !DATA_KEYS.includes(k)),
        what,
      ).toEqual([]);
    }
  });
});
