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
