/* isolation: shared between bpf/isolation.bpf.h (the isolation part of bpf/sched.bpf.c) and
 * src/probes/isolation.ts. Data only. Every layout here is mirrored in src/probes/isolation.ts
 * (ISO_LAYOUT) and checked against BTF by test/probes/layout.test.ts. */
#ifndef PERFSCOPE_ISOLATION_H
#define PERFSCOPE_ISOLATION_H

/* Isolation part: rows per generation (tasks seen on the one watched CPU in an interval). */
#define ISO_MAX_ROWS 2048
/* sched_cfg.iso_cpu when no CPU is watched. */
#define ISO_NO_CPU 0xffffffffU
#define ISO_COMM_LEN 16

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
	__u64 cgroup;       /* its v2 cgroup id (of its first run that ended here, or of the resident's return) */
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
