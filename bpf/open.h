/* open feed: shared between bpf/open.bpf.c and src/probes/open.ts. Data only. */
#ifndef PERFSCOPE_OPEN_H
#define PERFSCOPE_OPEN_H

#define OPEN_COMM_LEN 16
#define OPEN_PATH_LEN 256 /* path cut at 255 bytes */

#define OPEN_SYS_OPEN    0
#define OPEN_SYS_OPENAT  1
#define OPEN_SYS_OPENAT2 2

struct open_event {
	__u64 ts_ns;   /* bpf_ktime_get_ns (CLOCK_MONOTONIC) at the syscall's return */
	__u64 flags;   /* open flags (openat2: open_how.flags) */
	__s64 ret;     /* fd, or -errno */
	__u32 pid;     /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 sys;     /* OPEN_SYS_* */
	__u64 cgroup;  /* v2 cgroup id (bpf_get_current_cgroup_id) */
	char comm[OPEN_COMM_LEN];
	char path[OPEN_PATH_LEN]; /* as passed (relative to the dirfd for openat*) */
};

#endif
