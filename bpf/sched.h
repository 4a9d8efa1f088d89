/* sched: the scheduler object (bpf/sched.bpf.c), shared by the off-CPU, run-queue and isolation
 * probes. Data only: its config word, the per-task value and the isolation part's layouts. The
 * off-CPU and run-queue layouts stay in offcpu.h and runqlat.h; every layout is mirrored in
 * src/probes/ (sched.ts, isolation.ts) and checked against BTF by test/probes/layout.test.ts. */
#ifndef PERFSCOPE_SCHED_H
#define PERFSCOPE_SCHED_H

/* sched_cfg.parts: which probes' work the sched_switch program does (0: it returns at once). */
#define SCHED_PART_OFFCPU  1
#define SCHED_PART_RUNQLAT 2
#define SCHED_PART_ISO     4

/* Isolation part: rows per generation (tasks seen on the one watched CPU in an interval). */
#define ISO_MAX_ROWS 2048
/* sched_cfg.iso_cpu when no CPU is watched. */
#define ISO_NO_CPU 0xffffffffU
#define ISO_COMM_LEN 16

/* Value of the one-entry ARRAY `sched_cfg`, written live from user space. Each field read while
 * its part is on is one aligned 32-bit word, so a program never sees one half written. */
struct sched_cfg {
	__u32 parts;        /* SCHED_PART_* */
	__u32 watch;        /* off-CPU: the CPU filter word (PERFSCOPE_WATCH_* in perfscope.bpf.h) */
	__u32 off_epoch;    /* off-CPU: bumped each time the part goes on; stamps of older ones are stale */
	__u32 rq_epoch;     /* run queue: the same for its per-task baseline */
	__u32 count_totals; /* off-CPU: keep returns_total */
	__u32 iso_cpu;      /* isolation: the one CPU it watches, ISO_NO_CPU for none */
	__u64 rq_since;     /* run queue: CLOCK_MONOTONIC ns when rq_epoch began (written, like it, while the part is off) */
	__u32 iso_epoch;    /* isolation: bumped when the part goes on or iso_cpu changes; older CPU state is stale */
	__u32 iso_resident; /* isolation: thread whose absences from iso_cpu are measured (0: none yet) */
	__u64 iso_cut;      /* isolation: CLOCK_MONOTONIC ns of the last interval boundary; a run is charged from here at most */
	__u32 off_self;     /* off-CPU: a process (tgid) left out of the rows, perfscope's own; 0: none (--include-self) */
};                          /* 56 bytes: 4 of tail padding */

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
};

/* Isolation part: one row per (pid, comm) that ran on the watched CPU, per generation. */
struct iso_key {
	__u32 pid;
	__u32 _pad;
	char comm[ISO_COMM_LEN];
};

struct iso_val {
	__u64 on_ns;        /* on-CPU time of its runs that ended in this generation */
	__u64 runs;         /* runs (switch-in to switch-out) that ended */
	__u64 max_run_ns;   /* the longest of them (whole runs, also the part before the boundary) */
	__u32 tgid;
	__u32 vote;         /* displaced: majority-vote counter (Boyer-Moore) */
	__u32 disp_pid;     /* the task its runs displaced: the majority one when there is one */
	__u32 off_count;    /* resident only: its absences from the CPU that ended here */
	char disp_comm[ISO_COMM_LEN];
	__u64 off_max_ns;   /* resident only: the longest of them */
	__u64 off_total_ns;
	__u32 off_by_pid;   /* the task with the longest run on the CPU during that longest absence */
	__u32 off_preempted;/* that absence began with a preemption (the resident was still runnable) */
	char off_by_comm[ISO_COMM_LEN];
};

/* The watched CPU's own state (a PERCPU_ARRAY of one: only that CPU writes its slot). */
struct iso_state {
	__u64 in_ns;        /* switch-in time of the task on the CPU */
	__u64 seq;          /* switches seen (user space reads the slot twice and compares) */
	__u32 pid;          /* the task on the CPU */
	__u32 epoch;        /* iso_epoch this state belongs to */
	__u32 tgid;
	__u32 disp_pid;     /* the task it replaced */
	char comm[ISO_COMM_LEN];
	char disp_comm[ISO_COMM_LEN];
	__u64 r_out_ns;     /* the resident left at this time; 0: it is on the CPU, or not measured */
	__u64 r_top_ns;     /* the longest run of another task since it left */
	__u32 r_pid;        /* the resident these fields are for */
	__u32 r_top_pid;    /* that task */
	__u32 r_preempted;  /* the resident left still runnable */
	__u32 s_pid;        /* the run that straddled the boundary iso_cut == s_cut: its thread, */
	char r_top_comm[ISO_COMM_LEN];
	__u64 s_cut;
	__u64 s_in;         /* its switch-in time (its part before s_cut is user space's to add) */
	__u32 s_tgid;
	__u32 _pad;
	char s_comm[ISO_COMM_LEN];
};

#endif
