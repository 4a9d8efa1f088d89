/* profile: shared between bpf/profile.bpf.c and src/probes/profile.ts. Data only. */
#ifndef PERFSCOPE_PROFILE_H
#define PERFSCOPE_PROFILE_H

/* Value of the PERCPU_ARRAY `stats`, by generation (0, 1): cumulative, never cleared; user
 * space takes each generation's differences since it last read it. */
struct profile_stat {
	__u64 samples;      /* samples of real tasks that passed the filters */
	__u64 idle;         /* samples of the idle task (no stack kept) */
	__u64 lost;         /* samples with no row: the generation's hash was full */
	__u64 kfail;        /* kernel stack could not be read */
	__u64 ufail;        /* user stack could not be read (a kernel thread has none: not counted) */
	__u64 unannounced;  /* address spaces not announced: the `procs` ring buffer was full */
	__u64 fp_rows;      /* samples whose copy did not fit in `samples`: counted by frame pointers */
};

#endif
