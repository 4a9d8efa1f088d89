/* top: the top table's part of the scheduler object (bpf/top.bpf.h). Layouts only; mirrored in
 * src/probes/proc/kernel-top.ts and checked against BTF by test/probes/layout.test.ts. */
#ifndef PERFSCOPE_TOP_H
#define PERFSCOPE_TOP_H

/* Rows of each generation at load (user space sizes it from the host: topRowsFor()). */
#define TOP_MAX_ROWS 4096

/* One row per process (tgid) and CPU that had a run of it end there in the interval: only that
 * CPU writes the row (sched_switch runs with the run queue locked, never nested on a CPU), so its
 * sums are plain adds; user space adds a process's rows up. */
struct top_key {
	__u32 tgid;
	__u32 cpu;
};

struct top_val {
	__u64 run_ns;     /* on-CPU time of its threads' runs that ended on this CPU in the interval (sum_exec_runtime) */
	__u64 usr_ns;     /* of the same runs: the growth of utime - gtime (the kernel's tick accounting) */
	__u64 sys_ns;     /* ... and of stime: only their ratio is used (the split of run_ns) */
	__u64 leader_sum; /* its leader's sum_exec_runtime when it last left this CPU (0: it did not): the
			   * row with the largest is the CPU the process last ran on, as pidstat says it */
	__u32 runs;       /* runs counted */
	__u32 _pad;
	char comm[16];    /* the comm of the thread that made the row, then of its leader at each switch-out */
	__u64 cgroup;     /* the v2 cgroup id of the same thread (the table's cgroup column without /proc) */
};                        /* 64 bytes */

/* Per CPU (a one-entry PERCPU_ARRAY): the task on it since its last switch-in, while the part is
 * on. seq_begin is written last and seq_end first: a reader that finds them equal read one whole
 * record (both are the same counter, one more at each switch on the CPU; a record being written
 * has them unequal). gen and gen_seq say which generation each earlier switch-out went into: the
 * switches from gen_seq on added their run to generation `gen`, those before to an older one. */
struct top_cur {
	__u32 seq_begin;
	__u32 epoch;     /* sched_cfg.top_epoch when written: another one is stale */
	__u32 pid;       /* 0: idle */
	__u32 tgid;
	__u64 in_sum;    /* its se.sum_exec_runtime at the switch-in */
	__u64 in_usr;    /* its utime - gtime then */
	__u64 in_sys;    /* its stime then */
	__u32 gen;       /* sched_cfg.top_gen at the last switch */
	__u32 gen_seq;   /* the seq of the first switch on this CPU with that gen */
	__u32 epoch_seq; /* the seq of the first switch on this CPU in this epoch */
	__u32 seq_end;
};                       /* 56 bytes */

/* Per CPU (a one-entry PERCPU_ARRAY): what did not fit (a full generation). */
struct top_lost {
	__u64 runs;
	__u64 run_ns;
};

#endif
