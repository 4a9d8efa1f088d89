/* trace: shared between bpf/trace.bpf.c and src/probes/trace.ts. Data only. */
#ifndef PERFSCOPE_TRACE_H
#define PERFSCOPE_TRACE_H

#define TRACE_MAX_SLOTS 256    /* tracepoints attached at once (one slot each, the attachment's cookie) */
#define TRACE_HIST_SLOTS 64    /* log2 buckets: slot k holds [2^k, 2^(k+1)), slot 0 holds [0, 2) */
#define TRACE_MAX_TASKS 16384  /* (slot, pid, comm) rows per generation */
#define TRACE_COMM_LEN 16
#define TRACE_TIMED_EVERY 16   /* one run in this many of each slot (per CPU) times itself */

/* Value of the ARRAY `slots`, by slot: written by user space before the slot is attached. */
struct trace_slot {
	__u32 field_off;   /* offset of the numeric field in the tracepoint's record; the argument's
	                    * index (1..6, or 0..11 for USDT) for TRACE_MODE_ARG / TRACE_MODE_USDT */
	__u32 field_size;  /* 1, 2, 4 or 8; 0: count only, no histogram */
	__u32 field_signed;
	__u32 mode;        /* TRACE_MODE_*: where the value comes from */
	__u32 str;         /* print only: TRACE_STR_*: the value read as a string (0: a number) */
};

#define TRACE_MODE_FIELD 0 /* a tracepoint's record field */
#define TRACE_MODE_ARG 1   /* a uprobe: a function's argument (x86-64 ABI registers) */
#define TRACE_MODE_RET 2   /* a uretprobe: the return value */
#define TRACE_MODE_LAT 3   /* a uretprobe: nanoseconds since the entry stamped by trace_uentry */
#define TRACE_MODE_USDT 4  /* a USDT probe: an argument decoded from its argument spec */
/* print only (bpf/print.bpf.c): where a string comes from. */
#define TRACE_STR_NONE 0
#define TRACE_STR_USER 1   /* the value (an argument, a return value) is a pointer into the process */
#define TRACE_STR_KPTR 2   /* the field is a char * into kernel memory */
#define TRACE_STR_UPTR 3   /* the field is a char * into the process (syscalls:sys_enter_*) */
#define TRACE_STR_ARRAY 4  /* the field is a char[N] in the record (field_size: N) */
#define TRACE_STR_LOC 5    /* the field is a __data_loc char[] (a u32: offset | length << 16) */
#define TRACE_MAX_STARTS 16384 /* (thread, slot) entries in flight for TRACE_MODE_LAT */

/* Value of the one-entry ARRAY `trace_cfg`, written by user space before the first attach and
 * live after. */
struct trace_cfg {
	__u32 watch; /* the CPU filter word (PERFSCOPE_WATCH_* in perfscope.bpf.h) */
};

/* Value of the PERCPU_ARRAY `stats`, by slot: cumulative, never cleared (user space takes
 * differences, and reads a slot's values when it attaches it as its baseline). */
struct trace_stat {
	__u64 runs;         /* every run from this slot's attachment, filtered out or not */
	__u64 hits;         /* runs that passed the filters (-p, -c, -C): the slot's count */
	__u64 negative;     /* hits whose (signed) field was below zero: in no bucket */
	__u64 task_lost;    /* hits with no (pid, comm) row: the generation's hash was full */
	__u64 timed_runs;   /* runs that timed themselves */
	__u64 timed_ns;     /* their time, from first to last instruction */
	__u64 hist[TRACE_HIST_SLOTS];
};

/* Key of the per-generation HASH of (slot, pid, comm) counts; the value is a __u64 count. */
struct trace_task_key {
	__u32 slot;
	__u32 pid; /* tgid: the process */
	char comm[TRACE_COMM_LEN];
	__u64 cgroup; /* its v2 cgroup id */
};

#endif
