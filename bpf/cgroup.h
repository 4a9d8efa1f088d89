/* cgroup: the --cgroup filter's maps (bpf/cgroup_filter.bpf.h), shared with
 * src/probes/cgroup/kernel-filter.ts. Data only. */
#ifndef PERFSCOPE_CGROUP_H
#define PERFSCOPE_CGROUP_H

/* Cgroup ids (v2 cgroup directory inode numbers) the filter lets through at most: the
 * subtrees of every --cgroup value, each of their cgroups once. More are cut (and said). */
#define CGROUP_FILTER_MAX 8192

/* Cgroups whose feed events (execs, opens, connects) a feed object counts at most (`cg_events`,
 * src/probes/feed.ts); the events of one more are counted in `drops`' neighbour `cg_events_lost`. */
#define FEED_CGROUPS_MAX 4096

#endif
