// The feeds' events per cgroup, handed to the containers probe: each feed object counts its
// events by cgroup id in the kernel (`cg_events`, bpf/feed.bpf.h), the feed probe takes the
// interval's differences at each sample() and leaves them here under its name, and the
// containers probe, sampled after the feeds in each tick (it is last in the catalogue), reads
// them for its exec/open/connect rates. A feed that stops takes its counts away (null: the rate
// is unknown, not zero).

export interface CgroupEventCounts {
  /** Events of the interval by cgroup id. */
  readonly counts: ReadonlyMap<number, number>;
  /** The interval they cover, seconds. */
  readonly seconds: number;
  /** Events of cgroups that found the kernel's per-cgroup table full (cg_events_lost), in the interval. */
  readonly lost: number;
}

/**
 * Rows of a cumulative per-cgroup hash that did not move in the interval, to delete once the
 * hash is three quarters full (a host whose containers come and go would fill it with dead
 * cgroups). A row the kernel adds to between the read and the delete loses that addition; the
 * next one makes the row again, counted from zero.
 */
export function idleRows<V>(cur: ReadonlyMap<number, V>, prev: ReadonlyMap<number, V>, same: (a: V, b: V) => boolean, maxEntries: number): number[] {
  if (cur.size < (maxEntries * 3) / 4) return [];
  const out: number[] = [];
  for (const [id, v] of cur) {
    const p = prev.get(id);
    if (p !== undefined && same(v, p)) out.push(id);
  }
  return out;
}

const latest = new Map<string, CgroupEventCounts>();

export function depositCgroupEvents(feed: string, c: CgroupEventCounts | null): void {
  if (c) latest.set(feed, c);
  else latest.delete(feed);
}

/** The last interval's counts of each feed that is running, by feed name (catalogue order). */
export function allCgroupEvents(): ReadonlyMap<string, CgroupEventCounts> {
  return latest;
}
