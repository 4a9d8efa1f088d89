// The bench's arithmetic only: no timing, no BPF.
import { describe, expect, it } from 'vitest';
import { cpuPercent, median, pairedRatio, perSecond, ratio, rotate, runDelta, runDeltaByIds, sumRunStats, summarize } from '../../bench/stats.js';
import { parseLoadOutput } from '../../bench/loads.js';
import { firstErrorLine } from '../../bench/subjects.js';

describe('median and summaries', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('summarizes min, median, max and skips failed runs (null, NaN)', () => {
    expect(summarize([5, null, 1, Number.NaN, 3, undefined])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([])).toEqual({ median: null, min: null, max: null, n: 0 });
    expect(summarize([null])).toEqual({ median: null, min: null, max: null, n: 0 });
  });
});

describe('ratios', () => {
  it('divides, and refuses a zero, negative or missing denominator', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(6, 0)).toBeNull();
    expect(ratio(6, -1)).toBeNull();
    expect(ratio(null, 3)).toBeNull();
    expect(ratio(6, null)).toBeNull();
    expect(ratio(Number.NaN, 3)).toBeNull();
  });

  it('slowdown is the ratio of the medians; min and max come from the pairs', () => {
    const r = pairedRatio([110, 120, 300], [100, 100, 100]);
    expect(r.median).toBeCloseTo(1.2);
    expect(r.min).toBeCloseTo(1.1);
    expect(r.max).toBeCloseTo(3);
    expect(r.pairs).toHaveLength(3);
  });

  it('leaves a pair out when one side failed', () => {
    const r = pairedRatio([110, null, 130], [100, 100, 0]);
    expect(r.pairs).toEqual([1.1, null, null]);
    expect(r.n).toBe(1);
    expect(r.median).toBeCloseTo(120 / 100);
  });
});

describe('run-stat differences', () => {
  it('gives ns per event over the interval', () => {
    expect(runDelta({ runTimeNs: 1000, runCnt: 10 }, { runTimeNs: 6000, runCnt: 20 })).toEqual({ run_ns: 5000, run_cnt: 10, ns_per_event: 500 });
  });

  it('is null per event when nothing ran (zero period)', () => {
    expect(runDelta({ runTimeNs: 1000, runCnt: 10 }, { runTimeNs: 1000, runCnt: 10 })).toEqual({ run_ns: 0, run_cnt: 0, ns_per_event: null });
  });

  it('treats counters that went backwards (program reloaded) as unknown, not negative', () => {
    expect(runDelta({ runTimeNs: 9000, runCnt: 90 }, { runTimeNs: 100, runCnt: 1 })).toEqual({ run_ns: 0, run_cnt: 0, ns_per_event: null });
  });

  it('sums programs by id and leaves out those that came or went', () => {
    const before = new Map([
      [1, { runTimeNs: 100, runCnt: 1 }],
      [2, { runTimeNs: 0, runCnt: 0 }],
      [3, { runTimeNs: 50, runCnt: 5 }],
    ]);
    const after = new Map([
      [1, { runTimeNs: 400, runCnt: 4 }],
      [2, { runTimeNs: 300, runCnt: 1 }],
      [4, { runTimeNs: 999, runCnt: 9 }],
    ]);
    expect(runDeltaByIds(before, after, [1, 2, 3, 4])).toEqual({ run_ns: 600, run_cnt: 4, ns_per_event: 150 });
    expect(runDeltaByIds(before, after, [])).toEqual({ run_ns: 0, run_cnt: 0, ns_per_event: null });
    expect(sumRunStats(after, [1, 4, 7])).toEqual({ runTimeNs: 1399, runCnt: 13 });
  });
});

describe('rates', () => {
  it('returns 0 for an empty or negative period', () => {
    expect(perSecond(100, 2)).toBe(50);
    expect(perSecond(100, 0)).toBe(0);
    expect(perSecond(100, -1)).toBe(0);
    expect(cpuPercent(50, 100, 1)).toBe(50);
    expect(cpuPercent(5e8, 1e9, 0)).toBe(0);
    expect(cpuPercent(5e8, 0, 1)).toBe(0);
  });
});

describe('interleaving and parsing', () => {
  it('rotates the order of subjects from round to round', () => {
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotate([], 2)).toEqual([]);
  });

  it("reads the loads' own timing (psload and perf bench sched pipe)", () => {
    expect(parseLoadOutput('ops=10 ns=1000 ns_per_op=100.0\n')).toBe(100);
    expect(parseLoadOutput('     Total time: 0.037 [sec]\n\n      18.505500 usecs/op\n')).toBeCloseTo(18505.5);
    expect(parseLoadOutput('garbage')).toBeNull();
  });

  it("picks the line of a peer's error output that says why it did not start", () => {
    const bcc =
      'sh: 1: modprobe: not found\nUnable to find kernel headers. Try rebuilding kernel\nTraceback (most recent call last):\n  raise Exception("Failed to compile BPF module")\nException: Failed to compile BPF module <text>\n';
    expect(firstErrorLine(bcc)).toBe('Unable to find kernel headers. Try rebuilding kernel');
    const bt = "ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.\nWARNING: x\nERROR: Error attaching probe: 'kprobe:tcp_connect'\n";
    expect(firstErrorLine(bt)).toBe("ERROR: Error attaching probe: 'kprobe:tcp_connect'");
    expect(firstErrorLine('')).toBe('exited without output');
  });
});
