/* exec feed: shared between bpf/exec.bpf.c and src/probes/exec.ts. Data only. */
#ifndef PERFSCOPE_EXEC_H
#define PERFSCOPE_EXEC_H

#define EXEC_COMM_LEN     16
#define EXEC_FILENAME_LEN 256 /* filename cut at 255 bytes */
#define EXEC_MAX_ARGS     20  /* first 20 arguments (argv[0] included) */
#define EXEC_ARG_LEN      128 /* each argument cut at 127 bytes */

#define EXEC_F_ARGS_TRUNCATED 1 /* an argument was cut, or there were more than EXEC_MAX_ARGS */

/* One exec attempt. The record is sent with only the `argc` captured argument slots, i.e.
 * EXEC_EVENT_BASE + argc * EXEC_ARG_LEN bytes. */
struct exec_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns (CLOCK_MONOTONIC) at the syscall's return */
	__u32 pid;    /* tgid */
	__u32 ppid;   /* tgid of real_parent */
	__u32 uid;    /* real uid */
	__s32 ret;    /* 0 or -errno */
	__u32 argc;   /* captured arguments (<= EXEC_MAX_ARGS) */
	__u32 flags;  /* EXEC_F_* */
	__u64 cgroup; /* v2 cgroup id (bpf_get_current_cgroup_id) */
	char comm[EXEC_COMM_LEN]; /* at return: the new program's comm after a successful exec */
	char filename[EXEC_FILENAME_LEN];
	char args[EXEC_MAX_ARGS][EXEC_ARG_LEN];
};

#define EXEC_EVENT_BASE (8 + 6 * 4 + 8 + EXEC_COMM_LEN + EXEC_FILENAME_LEN) /* offset of args: 312 */

#endif
