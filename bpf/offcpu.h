/* offcpu: shared between bpf/offcpu.bpf.h (the off-CPU part of bpf/sched.bpf.c) and
 * src/probes/offcpu.ts. Data only. Every layout here is mirrored byte for byte in
 * src/probes/offcpu.ts (OFFCPU_* offsets). */
#ifndef PERFSCOPE_OFFCPU_H
#define PERFSCOPE_OFFCPU_H

#define OFFCPU_COMM_LEN 16
/* Entries of each generation's hash (agg0, agg1) and of returns_total (the conservation counter)
 * as compiled: user space sizes them from the host before load (offcpuRowsFor() in
 * src/probes/sched.ts: twice the host's threads, 16,384 to 262,144). */
#define OFFCPU_MAX_ROWS 16384
#define OFFCPU_MAX_TASKS 16384

/* Key of the aggregation hashes: the CPU a task came back on, and its thread id. Only that CPU
 * ever writes the entry. pid 0 is the idle task of `cpu`. */
struct offcpu_key {
	__u32 cpu;
	__u32 pid;
};

/* Value of the aggregation hashes: one interval (one generation) of one task on one CPU. */
struct offcpu_val {
	__u64 max_ns;      /* longest off-CPU time that ended in the interval */
	__u64 total_ns;    /* sum of them */
	__u64 returns;     /* how many times it came back */
	__u32 preempted;   /* how many of the switch-outs that ended here were involuntary */
	__u32 tgid;
	char comm[OFFCPU_COMM_LEN];
	char preempted_by[OFFCPU_COMM_LEN]; /* comm of the last preemptor, "" if never preempted */
	__u64 cgroup;      /* its v2 cgroup id (at the switch-out that began the row's first absence) */
}; /* 72 bytes */

#endif
