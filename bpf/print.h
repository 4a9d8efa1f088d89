/* print: shared between bpf/print.bpf.c and src/probes/print.ts. Data only. */
#ifndef PERFSCOPE_PRINT_H
#define PERFSCOPE_PRINT_H

#define PRINT_COMM_LEN 16
#define PRINT_F_VALUE 1    /* the event has a value (a field, an argument, a return value, a latency) */
#define PRINT_F_SIGNED 2   /* the value is signed (decode it as __s64) */
#define PRINT_F_STR 4      /* a print_str_event: its string was read */
#define PRINT_F_TRUNC 8    /* ... and was longer than PRINT_STR_LEN bytes: cut there */
#define PRINT_STR_LEN 128  /* bytes of a string kept */
#define PRINT_STR_BUF 136  /* the buffer: PRINT_STR_LEN + 2 read (a longer string is told by its length), aligned */

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

/* The record of a slot whose value is read as a string (trace_slot.str): the same head, then
 * the string (NUL-terminated when PRINT_F_STR; its length without the NUL in str_len). */
struct print_str_event {
	struct print_event e;
	__u32 str_len;
	__u32 pad;
	char str[PRINT_STR_BUF];
};

#endif
