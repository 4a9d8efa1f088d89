// SPDX-License-Identifier: GPL-2.0
/* exec feed: every execve/execveat, successful or not.
 *
 * This kernel has neither kprobes nor usable fentry/fexit (trampoline programs fail to load
 * with EPERM). The hooks are the per-syscall tracepoints syscalls:sys_enter_execve /
 * sys_enter_execveat (capture filename and argv from user memory: after a successful exec the
 * old address space is gone, so entry is the last moment they can be read) and
 * syscalls:sys_exit_execve / sys_exit_execveat (add the result and submit). The kernel runs
 * these programs only for their own syscall: every other syscall pays a bitmap test in
 * perf_syscall_enter/exit and no BPF run. (ia32 syscalls are not traced there at all.) One
 * enter and one exit program, each also attached to the execveat tracepoint by user space.
 * tp_btf/sched_process_exec would only see successes.
 *
 * Fallback: the same work on the raw tp_btf/sys_enter + tp_btf/sys_exit (ps_exec_raw_*), which
 * run for every syscall of the host and bail out on the number, for hosts where tracefs is
 * not mounted and cannot be (libbpf resolves the syscall tracepoints' ids through tracefs).
 * User space loads one set or the other (src/probes/tracefs.ts), never both.
 *
 * The capture lives in task-local storage: it survives de_thread() (an exec from a non-leader
 * thread changes the task's pid, not its task_struct), has no entry limit, and disappears
 * with the task.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "feed.bpf.h"
#include "exec.h"

#define NR_execve   59
#define NR_execveat 322

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21); /* 2 MiB: ~700 full-size events */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_event);
} pending SEC(".maps");

static __always_inline void capture(struct task_struct *task, long nr, const char *filename,
				    const char *const *argv)
{
	struct exec_event *e;
	const char *arg;
	char c;
	__u32 i;

	e = bpf_task_storage_get(&pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return;
	/* While a capture is in flight ts_ns holds the syscall number (non-zero): the exit checks
	 * it against its own syscall's number, so a stale capture can never be reported with
	 * another result. */
	e->ts_ns = nr;
	e->argc = 0;
	e->flags = 0;
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename) < 0)
		e->filename[0] = 0;
	for (i = 0; i < EXEC_MAX_ARGS; i++) {
		arg = 0;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (bpf_probe_read_user_str(e->args[i], EXEC_ARG_LEN, arg) < 0)
			e->args[i][0] = 0;
		else if (e->args[i][EXEC_ARG_LEN - 2] &&
			 !bpf_probe_read_user(&c, 1, arg + EXEC_ARG_LEN - 1) && c)
			e->flags |= EXEC_F_ARGS_TRUNCATED; /* the byte after the kept 127 is not the NUL */
		e->argc = i + 1;
	}
	if (e->argc == EXEC_MAX_ARGS) {
		arg = 0;
		if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[EXEC_MAX_ARGS]) && arg)
			e->flags |= EXEC_F_ARGS_TRUNCATED;
	}
}

/* Add the result and submit the capture made at entry of syscall `nr`. */
static __always_inline void submit(long nr, long ret)
{
	struct task_struct *task;
	struct exec_event *e;
	__u32 argc;

	task = bpf_get_current_task_btf();
	e = bpf_task_storage_get(&pending, task, 0, 0);
	if (!e || !e->ts_ns)
		return;
	/* A successful exec returns as an execve: set_personality_64bit() sets orig_ax to
	 * __NR_execve ("pretend that this comes from a 64bit execve"), so a successful execveat
	 * leaves through sys_exit_execve (raw: orig_ax 59), never through sys_exit_execveat. */
	if (e->ts_ns != nr && !(nr == NR_execve && ret == 0 && e->ts_ns == NR_execveat)) {
		e->ts_ns = 0;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = (__s32)ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	argc = e->argc;
	if (argc > EXEC_MAX_ARGS)
		argc = EXEC_MAX_ARGS;
	if (bpf_ringbuf_output(&events, e, EXEC_EVENT_BASE + argc * EXEC_ARG_LEN, 0))
		feed_drop();
	e->ts_ns = 0;
}

/* Per-syscall tracepoints (the default). Each program is attached to the tracepoint of its
 * section and, by user space (src/probes/exec.ts), to the execveat one of the same format.
 * The context is the kernel's struct syscall_trace_enter/exit as given to BPF: the common
 * header, the syscall number as an int at offset 8 (vmlinux.h's trace_event_raw_sys_enter/exit
 * call that 8-byte slot `id`: only its low 32 bits are written), then args[6] or ret. */
static __always_inline long tp_syscall_nr(const long *id)
{
	return *(const int *)id;
}

SEC("tracepoint/syscalls/sys_enter_execve") /* also sys_enter_execveat */
int ps_exec_enter(struct trace_event_raw_sys_enter *ctx)
{
	long nr = tp_syscall_nr(&ctx->id);

	if (!feed_native_syscall() || feed_skip())
		return 0;
	if (nr == NR_execve) /* execve(pathname, argv, envp) */
		capture(bpf_get_current_task_btf(), nr, (const char *)ctx->args[0],
			(const char *const *)ctx->args[1]);
	else if (nr == NR_execveat) /* execveat(dirfd, pathname, argv, envp, flags) */
		capture(bpf_get_current_task_btf(), nr, (const char *)ctx->args[1],
			(const char *const *)ctx->args[2]);
	return 0;
}

/* No native check at exit: the in-flight capture (made by a native execve/execveat, holding
 * its number) identifies the syscall; the next enter of either overwrites it. A successful
 * execveat comes back through sys_exit_execve (see submit). */
SEC("tracepoint/syscalls/sys_exit_execve") /* also sys_exit_execveat */
int ps_exec_exit(struct trace_event_raw_sys_exit *ctx)
{
	submit(tp_syscall_nr(&ctx->id), ctx->ret);
	return 0;
}

/* Fallback: raw syscall tracepoints, run for every syscall of the host. */

SEC("tp_btf/sys_enter")
int BPF_PROG(ps_exec_raw_enter, struct pt_regs *regs, long id)
{
	if (id != NR_execve && id != NR_execveat)
		return 0;
	if (!feed_native_syscall() || feed_skip())
		return 0;
	if (id == NR_execve) /* execve(pathname, argv, envp) */
		capture(bpf_get_current_task_btf(), id, (const char *)regs->di,
			(const char *const *)regs->si);
	else /* execveat(dirfd, pathname, argv, envp, flags) */
		capture(bpf_get_current_task_btf(), id, (const char *)regs->si,
			(const char *const *)regs->dx);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ps_exec_raw_exit, struct pt_regs *regs, long ret)
{
	/* Every syscall's exit: only a capture for this very syscall number is submitted. */
	submit(regs->orig_ax, ret);
	return 0;
}
