/* sched: the scheduler object (bpf/sched.bpf.c), shared by the off-CPU, run-queue and isolation
 * probes. Data only: what the parts share, the config word and the per-task value. Each part's
 * own layouts are in its own header (offcpu.h, runqlat.h, isolation.h); every layout is mirrored
 * in src/probes/ (sched.ts, offcpu.ts, runqlat.ts, isolation.ts) and checked against BTF by
 * test/probes/layout.test.ts. */
#ifndef PERFSCOPE_SCHED_H
#define PERFSCOPE_SCHED_H

/* sched_cfg.parts: which probes' work the sched_switch program does (0: it returns at once). */
#define SCHED_PART_OFFCPU  1
#define SCHED_PART_RUNQLAT 2
#define SCHED_PART_ISO     4
#define SCHED_PART_CGROUP  8 /* the containers probe: per-cgroup run-queue waits and worst off-CPU time */
#define SCHED_PART_TOP    16 /* the proc probe's top table: on-CPU time per process (bpf/top.bpf.h) */

/* Value of the one-entry ARRAY `sched_cfg`, written live from user space. Each field read while
 * its part is on is one aligned 32-bit word, so a program never sees one half written. */
struct sched_cfg {
	__u32 parts;        /* SCHED_PART_* */
	__u32 watch;        /* off-CPU: the CPU filter word (PERFSCOPE_WATCH_* in perfscope.bpf.h) */
	__u32 off_epoch;    /* off-CPU: bumped each time the part goes on; stamps of older ones are stale */
	__u32 rq_epoch;     /* run queue: the same for its per-task baseline */
	__u32 count_totals; /* off-CPU: keep returns_total */
	__u32 iso_cpu;      /* isolation: the one CPU it watches, ISO_NO_CPU (isolation.h) for none */
	__u64 rq_since;     /* run queue: CLOCK_MONOTONIC ns when rq_epoch began (written, like it, while the part is off) */
	__u32 iso_epoch;    /* isolation: bumped when the part goes on or iso_cpu changes; older CPU state is stale */
	__u32 iso_resident; /* isolation: thread whose absences from iso_cpu are measured (0: none yet) */
	__u64 iso_cut;      /* isolation: CLOCK_MONOTONIC ns of the last interval boundary; a run is charged from here at most */
	__u32 off_self;     /* off-CPU: a process (tgid) left out of the rows, perfscope's own; 0: none (--include-self) */
	__u32 cg_gen;       /* containers: which of the two off-CPU maxima of a cgroup (cgroup_rq.off_max_ns[]) is written */
	__u32 top_epoch;    /* top: bumped each time the part goes on; a per-CPU record of another one is stale */
	__u32 top_gen;      /* top: which of top0/top1 (its parity) a switch-out adds its run to; user space bumps it each interval */
};                          /* 64 bytes */

/* Task-local storage, one value per task for both parts. */
struct sched_task {
	__u64 out_ns;       /* off-CPU: bpf_ktime_get_ns() at the last switch-out */
	__u32 out_epoch;    /* off_epoch of that stamp; 0: none, or consumed */
	__u32 preempted;    /* off-CPU: the task was still runnable when it left */
	char by[16];        /* off-CPU: comm of the task that took the CPU, when preempted */
	__u64 rq_delay;     /* run queue: sched_info.run_delay at the last switch-out */
	__u64 rq_pcount;    /* run queue: sched_info.pcount then */
	__u32 rq_epoch;     /* rq_epoch of that baseline; 0: none */
	__u32 _pad;
	__u64 cgroup;       /* off-CPU, containers: the task's v2 cgroup id at the last switch-out */
};

#endif
