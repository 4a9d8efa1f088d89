/* offstacks: shared between bpf/offstacks.bpf.c and src/probes/offstacks.ts. Data only. */
#ifndef PERFSCOPE_OFFSTACKS_H
#define PERFSCOPE_OFFSTACKS_H

#include "stacks.h"

/* Value of the per-generation aggregation hashes: one interval of one (task, stacks) row. */
struct offstack_val {
	__u64 total_ns;   /* off-CPU time of the absences that ended in the interval */
	__u64 max_ns;     /* the longest of them */
	__u64 count;      /* how many */
	__u64 preempted;  /* how many began with an involuntary switch-out */
	char by[STACK_COMM_LEN]; /* comm of the last preemptor, "" if never preempted */
};

/* Task-local storage: what a task left with, written at its switch-out. */
struct offstack_task {
	__u64 out_ns;     /* bpf_ktime_get_ns() at the switch-out; 0: none or consumed */
	__u32 preempted;
	__u32 mmid;
	char by[STACK_COMM_LEN];
	__u16 uframes;
	__u16 _pad[3];
	__u64 cgroup;     /* v2 cgroup id at the switch-out (the task was current) */
	__u64 ustack[STACK_UDEPTH]; /* --unwind fp: the frame-pointer walk */
	/* else: the user registers and the top of the user stack (unwound in user space) */
	__u64 ip, sp, bp;
	__u32 stack_len;
	__u32 _pad2;
	__u8 stack[STACK_COPY_OFFCPU];
};

/* Value of the PERCPU_ARRAY `stats`, by generation: cumulative, never cleared. */
struct offstack_stat {
	__u64 returns;     /* absences that ended on a watched CPU: sum of row counts + lost */
	__u64 lost;        /* of those, with no row: the generation's hash was full */
	__u64 kfail;       /* kernel stack could not be read */
	__u64 ufail;       /* user stack could not be read */
	__u64 unannounced; /* address spaces not announced: `procs` full */
	__u64 ucut;        /* rows whose user stack was left out: the ring `samples` was full */
};

/* The one-entry ARRAY `offstacks_cfg`, written live. */
struct offstacks_cfg {
	__u32 watch; /* the CPU filter word (PERFSCOPE_WATCH_*) */
};

#endif
