/* containers: shared between bpf/containers.bpf.h (the containers part of bpf/sched.bpf.c) and
 * src/probes/containers.ts. Data only. */
#ifndef PERFSCOPE_CONTAINERS_H
#define PERFSCOPE_CONTAINERS_H

#define CONTAINERS_MAX_SLOTS 27     /* log2(us) buckets, as runqlat's (RUNQLAT_MAX_SLOTS) */
#define CONTAINERS_MAX_CGROUPS 4096 /* cgroups with a row; the waits of one more are counted in `cg_overflow` */
#define CONTAINERS_COMM_LEN 16

/* Value of the HASH `cg_rq`, keyed by v2 cgroup id (__u64): cumulative, never cleared (user
 * space takes differences). Several CPUs update a row: atomic adds. */
struct cgroup_rq {
	__u64 slots[CONTAINERS_MAX_SLOTS]; /* run-queue waits of its tasks */
	__u64 total_ns;                    /* their sum */
};

/* Key of the HASH `cg_off`: a cgroup in one generation (sched_cfg.cg_gen). User space reads and
 * deletes the rows of the generation nothing writes any more. */
struct cgroup_off_key {
	__u64 cgroup;
	__u32 gen;
	__u32 _pad;
};

/* Value of `cg_off`: the longest off-CPU time of one of its threads that ended in the interval.
 * A plain compare-and-store: two maxima ending at once on two CPUs may keep the smaller one. */
struct cgroup_off {
	__u64 max_ns;
	__u32 pid;
	__u32 _pad;
	char comm[CONTAINERS_COMM_LEN];
};

#endif
