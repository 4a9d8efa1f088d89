// SPDX-License-Identifier: GPL-2.0
/* open feed: every open, openat and openat2 (native 64-bit syscalls), successful or not.
 *
 * One program, on tp_btf/sys_exit (no kprobes, no usable fentry/fexit here, maybe no tracefs).
 * Unlike exec, nothing has to be captured at sys_enter: an open does not replace the address
 * space, and on x86_64 the syscall's arguments are still in the saved user registers at
 * sys_exit (pt_regs are saved at entry, after ptrace/seccomp had their say, and open* never
 * rewrite them; orig_ax is the syscall number). So there is no sys_enter program, no task
 * storage, and one program run per syscall instead of two: this program runs for every
 * syscall of every task, and returns after one compare for all but the three opens.
 *
 * The path is read from user memory at exit, as BCC's opensnoop does: the kernel has just
 * copied it (getname), so its page is resident and the read cannot fail for lack of a page
 * fault (a read at entry could). openat2's flags are read the same way from struct open_how.
 *
 * Each event is reserved in the ring buffer and filled in place. When the ring buffer is
 * full the event is counted in `drops` (feed_drop), so events + drops = open syscalls.
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
	__uint(max_entries, 1 << 20); /* 1 MiB: ~3,270 events of 320 bytes (with the record header) */
} events SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(ps_open_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	const char *path;
	struct open_event *e;
	__u64 flags = 0;
	__u32 sys;

	if (nr == NR_open) {            /* open(pathname, flags, mode) */
		sys = OPEN_SYS_OPEN;
		path = (const char *)regs->di;
		flags = (__u32)regs->si;
	} else if (nr == NR_openat) {   /* openat(dirfd, pathname, flags, mode) */
		sys = OPEN_SYS_OPENAT;
		path = (const char *)regs->si;
		flags = (__u32)regs->dx;
	} else if (nr == NR_openat2) {  /* openat2(dirfd, pathname, struct open_how *how, size) */
		sys = OPEN_SYS_OPENAT2;
		path = (const char *)regs->si;
		if (bpf_probe_read_user(&flags, sizeof(flags), &((struct open_how *)regs->dx)->flags))
			flags = 0;
	} else {
		return 0;
	}
	if (!feed_native_syscall() || feed_skip())
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		feed_drop();
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = flags;
	e->ret = ret;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->sys = sys;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, feed_wakeup(&events));
	return 0;
}
