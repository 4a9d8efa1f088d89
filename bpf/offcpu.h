/* offcpu: shared between bpf/sched.bpf.c (its off-CPU part) and src/probes/offcpu.ts. Data only.
 * Every layout here is mirrored byte for byte in src/probes/offcpu.ts (OFFCPU_* offsets). */
#ifndef PERFSCOPE_OFFCPU_H
#define PERFSCOPE_OFFCPU_H

#define OFFCPU_COMM_LEN 16
#define OFFCPU_MAX_ROWS 8192   /* entries of each generation's hash (agg0, agg1) */
#define OFFCPU_MAX_TASKS 16384 /* entries of returns_total (conservation counter) */
#define OFFCPU_ALL_CPUS (-1)   /* initial_cpu (rodata): watch every CPU */

/* offcpu_cfg.watch, one aligned 32-bit word so a live change is never seen half written:
 *   OFFCPU_WATCH_INIT  (0, the map's initial value): follow the rodata `initial_cpu` set before load
 *   OFFCPU_WATCH_ALL   (1): every CPU
 *   OFFCPU_WATCH_CPU0 + n: only CPU n */
#define OFFCPU_WATCH_INIT 0
#define OFFCPU_WATCH_ALL  1
#define OFFCPU_WATCH_CPU0 2

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
}; /* 64 bytes */

/* Task-local storage: written at every switch-out, on every CPU. */
struct offcpu_stamp {
	__u64 ts;        /* bpf_ktime_get_ns() at switch-out; 0 = consumed / none */
	__u32 preempted; /* the task was still runnable when it left */
	__u32 _pad;
	char by[OFFCPU_COMM_LEN]; /* comm of the task that took the CPU, when preempted */
};

/* Value of the one-entry ARRAY `offcpu_cfg`, written live from user space. */
struct offcpu_cfg {
	__u32 watch; /* OFFCPU_WATCH_* */
};

#endif
