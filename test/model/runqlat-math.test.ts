// Pure: decoding the kernel's histogram, differences of cumulative counters, percentiles.
import { describe, expect, it } from 'vitest';
import { decodeHist, RUNQLAT_HIST_BYTES, RUNQLAT_MAX_SLOTS, summarize, type CpuHist } from '../../src/probes/runqlat.js';
import { histQuantile, log2Bounds as bucketBounds } from '../../src/model/hist.js';
import { counterDeltas as diffSlots } from '../../src/model/counter.js';

const hist = (slots: Record<number, number>, totalNs = 0): CpuHist => {
  const s = new Array(RUNQLAT_MAX_SLOTS).fill(0);
  for (const [k, v] of Object.entries(slots)) s[Number(k)] = v;
  return { slots: s, totalNs };
};

describe('decodeHist', () => {
  it('reads 27 little-endian u64 slots then total_ns', () => {
    const b = Buffer.alloc(RUNQLAT_HIST_BYTES);
    b.writeBigUInt64LE(5n, 0);
    b.writeBigUInt64LE(7n, 26 * 8);
    b.writeBigUInt64LE(123456789n, 27 * 8);
    const h = decodeHist(b);
    expect(h.slots[0]).toBe(5);
    expect(h.slots[26]).toBe(7);
    expect(h.totalNs).toBe(123456789);
  });
});

describe('histQuantile', () => {
  it('is null for an empty histogram', () => {
    expect(histQuantile(new Array(27).fill(0), 0.5)).toBeNull();
  });
  it('interpolates inside the bucket that holds the rank', () => {
    // 100 waits all in bucket 10 = [1024, 2048) us.
    const s = hist({ 10: 100 }).slots;
    expect(histQuantile(s, 0.5)).toBeCloseTo(1024 + 512, 6);
    expect(histQuantile(s, 0.99)).toBeCloseTo(1024 + 0.99 * 1024, 6);
  });
  it('finds the right bucket across several', () => {
    const s = hist({ 0: 50, 3: 49, 20: 1 }).slots;
    expect(histQuantile(s, 0.5)).toBe(2); // the whole of bucket 0 = [0,2)
    const p99 = histQuantile(s, 0.99)!;
    expect(p99).toBeGreaterThanOrEqual(8);
    expect(p99).toBeLessThanOrEqual(16);
    expect(histQuantile(s, 1)).toBe(2 ** 21);
  });
  it('bucket bounds: bucket 0 is [0,2), bucket k is [2^k, 2^(k+1))', () => {
    expect(bucketBounds(0)).toEqual([0, 2]);
    expect(bucketBounds(1)).toEqual([2, 4]);
    expect(bucketBounds(10)).toEqual([1024, 2048]);
  });
});

describe('interval differences', () => {
  it('subtracts the previous cumulative reading', () => {
    expect(diffSlots([5, 10, 0], [2, 10, 0])).toEqual([3, 0, 0]);
  });
  it('takes a smaller counter as a fresh start (map recreated), never negative', () => {
    expect(diffSlots([1, 2], [5, 9])).toEqual([1, 2]);
  });
  it('summarize: per CPU and all, count, p50/p99, mean from total_ns, highest bucket', () => {
    const prev = new Map([
      [0, hist({ 2: 10 }, 10_000)],
      [1, hist({}, 0)],
    ]);
    const cur = new Map([
      [0, hist({ 2: 20 }, 60_000)], // +10 waits in [4,8) us, +50 us in all
      [1, hist({ 12: 10 }, 50_000_000)], // 10 waits in [4096,8192) us
    ]);
    const s = summarize(cur, prev, [0, 1]);
    expect(s.cpus['0'][2]).toBe(10);
    expect(s.cpus['1'][12]).toBe(10);
    expect(s.all[2]).toBe(10);
    expect(s.all[12]).toBe(10);
    expect(s.count).toBe(20);
    expect(s.max_bucket).toBe(12);
    expect(s.mean_us).toBeCloseTo((50_000 + 50_000_000) / 20 / 1000, 1);
    expect(s.p50_us).toBe(8);
    expect(s.p99_us!).toBeGreaterThan(4096);
  });
  it('summarize: the first interval with no previous reading counts everything', () => {
    const s = summarize(new Map([[0, hist({ 1: 3 })]]), null, [0]);
    expect(s.count).toBe(3);
  });
});
