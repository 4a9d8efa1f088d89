/* containers: shared between bpf/containers.bpf.h (the containers part of bpf/sched.bpf.c) and
 * src/probes/containers.ts. Data only. */
#ifndef PERFSCOPE_CONTAINERS_H
#define PERFSCOPE_CONTAINERS_H

#define CONTAINERS_MAX_SLOTS 27     /* log2(us) buckets, as runqlat's (RUNQLAT_MAX_SLOTS) */
#define CONTAINERS_MAX_CGROUPS 4096 /* cgroups with a row; the waits of one more are counted in `cg_overflow` */
#define CONTAINERS_COMM_LEN 16

/* Value of the HASH `cg_rq`, keyed by v2 cgroup id (__u64). Several CPUs update a row: the
 * counts with atomic adds; the maxima by a plain compare-and-store (two maxima ending at once on
 * two CPUs may keep the smaller one). */
struct cgroup_rq {
	__u64 slots[CONTAINERS_MAX_SLOTS]; /* cumulative run-queue waits of its tasks, never cleared */
	__u64 total_ns;                    /* their sum, cumulative */
	__u64 off_max_ns[2];               /* by sched_cfg.cg_gen: longest off-CPU time that ended (user space reads and clears the other one) */
	__u32 off_pid[2];                  /* the thread that had it */
	char off_comm[2][CONTAINERS_COMM_LEN];
}; /* 288 bytes */

#endif
