// Cumulative counters read as deltas: the one rule every probe uses, whether the counter comes
// from /proc (which may be 32-bit and wrap) or from a BPF map or the kernel's BPF run statistics
// (64-bit, read as numbers; they only step back when the map or program was re-created).

const U32 = 2 ** 32;
const U64 = 2 ** 64;

/**
 * Increase of a cumulative counter. The /proc readers store a 64-bit counter at or above 2^63 as
 * the signed 64-bit integer with the same bits (parseCounter in src/probes/proc/readers.ts), so:
 * - cur >= prev: the plain difference — which is also exact across a 64-bit wrap (prev near 2^64,
 *   stored as a small negative number; cur small and positive);
 * - cur negative, prev not: the counter crossed 2^63, still going up;
 * - prev in the upper half of the 32-bit range and cur in the lower half: a 32-bit counter wrapped
 *   (unsigned long on 32-bit kernels: net/dev, snmp; the millisecond fields of diskstats are 32-bit
 *   (%u) even on 64-bit kernels): the difference modulo 2^32, as sysstat takes it;
 * - any other step back: the counter restarted (a device or interface re-created, a CPU back
 *   online, a BPF map re-created) and its current value is the increase, as sysstat's
 *   check_net_dev_reg does. sysstat applies the modulo-2^32 rule to any backwards step, which turns
 *   a restart into a 4e9 spike; we apply it only where a wrap is plausible.
 */
export function counterDelta(cur: number, prev: number): number {
  if (cur >= prev) return cur - prev;
  if (cur < 0 && prev >= 0) return cur + U64 - prev;
  if (prev >= U32 / 2 && prev < U32 && cur >= 0 && cur < U32 / 2) return cur + U32 - prev;
  return cur < 0 ? cur + U64 : cur;
}

/** counterDelta element by element; a missing previous array (first read) counts from 0. */
export function counterDeltas(cur: readonly number[], prev: readonly number[] | undefined): number[] {
  return cur.map((v, i) => counterDelta(v, prev?.[i] ?? 0));
}

/** Per-second rate of a counter over elapsedS seconds (0 for an empty interval). */
export function rate(cur: number, prev: number, elapsedS: number): number {
  return elapsedS > 0 ? counterDelta(cur, prev) / elapsedS : 0;
}

/** Events per second of a count over an interval (0 for a zero or negative interval). */
export function perSecond(count: number, intervalS: number): number {
  return intervalS > 0 ? count / intervalS : 0;
}
