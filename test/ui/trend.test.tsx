import { describe, expect, it } from 'vitest';

import { RunqlatPane } from '../../src/ui/components/RunqlatPane.js';
import { TREND_POINTS, trendPoint } from '../../src/store/store.js';
import type { Interval as IntervalSnapshot } from '../../src/catalogue/catalogue.js';
import { histQuantile } from '../../src/model/hist.js';
import { fixtureStore, runqlatSample, FIXTURE_CATALOGUE } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import { screenEntry } from './fixtures.js';

const runqlat = screenEntry('runqlat');

/** A runqlat interval whose waits all fall in bucket k ([2^k, 2^(k+1)) us). */
function interval(k: number, base: IntervalSnapshot): IntervalSnapshot {
  const all = new Array(27).fill(0);
  all[k] = 10;
  return { ...base, data: { ...base.data, runqlat: { ...runqlatSample(), all, cpus: { '0': all, '1': new Array(27).fill(0) } } } };
}

describe('run-queue trend', () => {
  it('each interval adds its p99 per CPU key; a probe without data adds an empty point', () => {
    const s = fixtureStore();
    const base = s.getState().latest!;
    expect(s.getState().trend).toHaveLength(1);
    expect(s.getState().trend[0].runqlat?.all).toBe(histQuantile(runqlatSample().all, 0.99));
    s.getState().commitInterval(interval(4, base));
    const p = s.getState().trend[1].runqlat ?? {};
    expect(p.all).toBeGreaterThanOrEqual(16);
    expect(p.all).toBeLessThan(32);
    expect(p['1']).toBeNull(); // no wait on CPU 1 that interval
    expect(trendPoint(FIXTURE_CATALOGUE, { ...base, data: { ...base.data, runqlat: null, isolation: null } })).toEqual({});
  });

  it('keeps at most TREND_POINTS, newest last', () => {
    const s = fixtureStore();
    const base = s.getState().latest!;
    for (let i = 0; i < TREND_POINTS + 10; i++) s.getState().commitInterval(interval(i % 20, base));
    const t = s.getState().trend;
    expect(t).toHaveLength(TREND_POINTS);
    expect(t[t.length - 1].runqlat?.all).toBeGreaterThanOrEqual(2 ** ((TREND_POINTS + 9) % 20));
  });

  it('the pane draws the p99 of the last intervals, rising with the waits, and pause freezes it', () => {
    const s = fixtureStore();
    const base = s.getState().latest!;
    for (const k of [1, 2, 4, 8, 12]) s.getState().commitInterval(interval(k, base));
    const line = (f: string) => f.split('\n').find((l) => l.includes('p99 trend')) ?? '';
    const f = stripSgr(renderWith(s, <RunqlatPane spec={runqlat} width={100} height={14} />).lastFrame() ?? '');
    const spark = line(f)
      .split('p99 trend ')[1]
      .replace(/[│ ]+$/, '');
    // p99s: ~1.5 ms (the fixture), then ~3 us, ~6 us, ~30 us, ~0.5 ms, ~8 ms, scaled to the largest
    expect(spark, line(f)).toBe('▂▁▁▁▁█');
    s.getState().togglePause();
    s.getState().commitInterval(interval(1, base));
    const g = stripSgr(renderWith(s, <RunqlatPane spec={runqlat} width={100} height={14} />).lastFrame() ?? '');
    expect(line(g)).toBe(line(f));
    s.getState().togglePause();
    const h = stripSgr(renderWith(s, <RunqlatPane spec={runqlat} width={100} height={14} />).lastFrame() ?? '');
    expect(line(h)).not.toBe(line(f));
  });

  it('no room, no trend: the stats line stays whole at 40 columns', () => {
    const f = stripSgr(renderWith(fixtureStore(), <RunqlatPane spec={runqlat} width={40} height={14} />).lastFrame() ?? '');
    expect(f).not.toContain('p99 trend');
    expect(f).toContain('n=152');
  });
});
