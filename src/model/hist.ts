// log2 histograms as BCC's runqlat keeps them: bucket 0 is [0, 2), bucket k >= 1 is
// [2^k, 2^(k+1)), in the histogram's unit (microseconds for run-queue latency).

/** Bucket bounds: [lo, hi). */
export function log2Bounds(k: number): [number, number] {
  return k === 0 ? [0, 2] : [2 ** k, 2 ** (k + 1)];
}

/** Sum of the buckets. */
export function histCount(slots: readonly number[]): number {
  let n = 0;
  for (const v of slots) n += v;
  return n;
}

/** Index of the lowest and highest non-empty bucket, or null for an empty histogram. */
export function histRange(slots: readonly number[]): { lo: number; hi: number } | null {
  let lo = -1;
  let hi = -1;
  slots.forEach((v, i) => {
    if (v > 0) {
      hi = i;
      if (lo < 0) lo = i;
    }
  });
  return hi < 0 ? null : { lo, hi };
}

/**
 * The q-quantile (0..1) of a log2 histogram, interpolated linearly inside the bucket that holds
 * it (the data do not say where in the bucket a value fell; linear is the usual assumption).
 * null for an empty histogram.
 */
export function histQuantile(slots: readonly number[], q: number): number | null {
  const total = histCount(slots);
  if (total === 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let seen = 0;
  for (let k = 0; k < slots.length; k++) {
    const c = slots[k];
    if (c === 0) continue;
    if (seen + c >= rank) {
      const [lo, hi] = log2Bounds(k);
      return lo + ((rank - seen) / c) * (hi - lo);
    }
    seen += c;
  }
  return log2Bounds(slots.length - 1)[1];
}
