/* print: shared between bpf/print.bpf.c and src/probes/print.ts. Data only. */
#ifndef PERFSCOPE_PRINT_H
#define PERFSCOPE_PRINT_H

#define PRINT_COMM_LEN 16
#define PRINT_F_VALUE 1    /* the event has a value (a field, an argument, a return value, a latency) */
#define PRINT_F_SIGNED 2   /* the value is signed (decode it as __s64) */

/* One ring buffer record per hit. Slots and their config are struct trace_slot (trace.h). */
struct print_event {
	__u64 ts_ns;  /* CLOCK_MONOTONIC */
	__u32 pid;    /* tgid */
	__u32 tid;
	__u32 slot;   /* the attachment's cookie */
	__u32 flags;  /* PRINT_F_* */
	__u64 value;
	__u64 cgroup; /* its v2 cgroup id */
	char comm[PRINT_COMM_LEN];
};

#endif
