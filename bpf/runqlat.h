/* runqlat: shared between bpf/runqlat.bpf.h (the run-queue part of bpf/sched.bpf.c) and
 * src/probes/runqlat.ts. Data only. */
#ifndef PERFSCOPE_RUNQLAT_H
#define PERFSCOPE_RUNQLAT_H

#define RUNQLAT_MAX_SLOTS 27  /* log2(us) buckets: slot k holds [2^k, 2^(k+1)) us, slot 0 holds [0, 2) */

/* Value of the per-CPU array `hists` (one key): each CPU's own cumulative histogram, counted on
 * the CPU where the waiting task got to run. Never cleared: user space takes differences. */
struct runqlat_hist {
	__u64 slots[RUNQLAT_MAX_SLOTS];
	__u64 total_ns; /* sum of all waits, for the mean */
};

#endif
