// SPDX-License-Identifier: GPL-2.0
/* open feed: every open, openat and openat2 (native 64-bit syscalls), successful or not.
 *
 * One program per syscall, on its exit tracepoint syscalls:sys_exit_open / sys_exit_openat /
 * sys_exit_openat2 (no kprobes, no usable fentry/fexit here). The kernel runs each only for its
 * own syscall: every other syscall pays a bitmap test in perf_syscall_exit and no BPF run.
 * (ia32 syscalls are not traced there at all.)
 *
 * Nothing has to be captured at entry, so there are no sys_enter programs and no task storage:
 * an open does not replace the address space, and on x86_64 the syscall's arguments are still
 * in the task's saved user registers at exit (pt_regs are saved at entry, after ptrace/seccomp
 * had their say, and open* never rewrite them), read through bpf_task_pt_regs(current). The
 * exit tracepoint itself only carries the syscall number and the result.
 *
 * Fallback: ps_open_raw_exit on the raw tp_btf/sys_exit (runs for every syscall of the host
 * and returns after one compare of orig_ax for all but the three opens), for hosts where
 * tracefs is not mounted and cannot be (libbpf resolves the syscall tracepoints' ids through
 * tracefs). User space loads one set or the other (src/probes/tracefs.ts), never both.
 *
 * The path is read from user memory at exit, as BCC's opensnoop does: the kernel has just
 * copied it (getname), so its page is resident and the read cannot fail for lack of a page
 * fault (a read at entry could). openat2's flags are read the same way from struct open_how.
 *
 * Each event is copied into the ring buffer sized to its path (see report()). When the ring
 * buffer is full the event is counted in `drops` (feed_drop), so events + drops = open syscalls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "feed.bpf.h"
#include "open.h"

#define NR_open    2
#define NR_openat  257
#define NR_openat2 437

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21); /* 2 MiB: ~20,000 events with a 35-byte path (104 bytes with the record header), 6,400 at most */
} events SEC(".maps");

/* BTF only: a ring-buffer record is never a map's or global's type, so without this
 * struct open_event would not be in the object's BTF, which test/probes/layout.test.ts reads to
 * check src/probes/open.ts. libbpf skips the section: no map, nothing loaded. */
struct open_event *btf_anchor_open_event SEC(".btf_anchor") __attribute__((unused));

/* Report the open* syscall `sys` that returns `ret`, its arguments read from `regs`.
 * The event is built on the stack and copied out sized to its path (bpf_ringbuf_output): a
 * record is 56 bytes + the path with its NUL (a typical path of 30-60 bytes makes a record of
 * ~100 bytes with the ring buffer's 8-byte header, where a fixed one took 320), so the same
 * ring buffer holds three times the events of a storm. The stack, unlike a per-CPU scratch
 * map, cannot be overwritten by a program run that preempts this one on the same CPU. */
static __always_inline void report(struct pt_regs *regs, __u32 sys, long ret)
{
	const char *path;
	struct open_event e;
	__u64 flags = 0;
	long len;

	if (sys == OPEN_SYS_OPEN) {          /* open(pathname, flags, mode) */
		path = (const char *)regs->di;
		flags = (__u32)regs->si;
	} else if (sys == OPEN_SYS_OPENAT) { /* openat(dirfd, pathname, flags, mode) */
		path = (const char *)regs->si;
		flags = (__u32)regs->dx;
	} else {                             /* openat2(dirfd, pathname, struct open_how *how, size) */
		path = (const char *)regs->si;
		if (bpf_probe_read_user(&flags, sizeof(flags),
					&((struct open_how *)regs->dx)->flags))
			flags = 0;
	}

	e.ts_ns = bpf_ktime_get_ns();
	e.flags = flags;
	e.ret = ret;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.tid = (__u32)bpf_get_current_pid_tgid();
	e.uid = (__u32)bpf_get_current_uid_gid();
	e.sys = sys;
	e.cgroup = bpf_get_current_cgroup_id();
	feed_count_cgroup(e.cgroup);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	len = bpf_probe_read_user_str(e.path, sizeof(e.path), path); /* with its NUL */
	if (len < 1) {
		e.path[0] = 0;
		len = 1;
	}
	if (len > OPEN_PATH_LEN)
		len = OPEN_PATH_LEN;
	if (bpf_ringbuf_output(&events, &e, offsetof(struct open_event, path) + len, feed_wakeup(&events)))
		feed_drop();
}

/* Per-syscall exit tracepoints (the default). */
static __always_inline int on_exit(__u32 sys, long ret)
{
	if (!feed_native_syscall() || feed_skip())
		return 0;
	report((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()), sys, ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int ps_open_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(OPEN_SYS_OPEN, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int ps_open_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(OPEN_SYS_OPENAT, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int ps_open_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(OPEN_SYS_OPENAT2, ctx->ret);
}

/* Fallback: the raw tp_btf/sys_exit, run for every syscall of the host. */
SEC("tp_btf/sys_exit")
int BPF_PROG(ps_open_raw_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	__u32 sys;

	if (nr == NR_open)
		sys = OPEN_SYS_OPEN;
	else if (nr == NR_openat)
		sys = OPEN_SYS_OPENAT;
	else if (nr == NR_openat2)
		sys = OPEN_SYS_OPENAT2;
	else
		return 0;
	if (!feed_native_syscall() || feed_skip())
		return 0;
	report(regs, sys, ret);
	return 0;
}
