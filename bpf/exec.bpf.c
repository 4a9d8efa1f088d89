// SPDX-License-Identifier: GPL-2.0
/* exec feed: every execve/execveat, successful or not.
 *
 * This kernel has neither kprobes nor usable fentry/fexit (trampoline programs fail to load
 * with EPERM). The hooks are the per-syscall tracepoints syscalls:sys_enter_execve /
 * sys_enter_execveat (note the call: which syscall, and where its filename and argv are) and
 * syscalls:sys_exit_execve / sys_exit_execveat (read them, add the result and submit). The
 * kernel runs these programs only for their own syscall: every other syscall pays a bitmap
 * test in perf_syscall_enter/exit and no BPF run. (ia32 syscalls are not traced there at all.)
 * One enter and one exit program, each also attached to the execveat tracepoint by user space.
 * tp_btf/sched_process_exec would only see successes.
 *
 * The strings are read at exit, not at entry: at entry the caller's strings may lie in pages
 * its address space has not faulted in yet (a forked child's view of the parent's .rodata, say),
 * which a BPF program cannot fault in: every such read fails, and a failed read costs a page
 * fault's exception handling (measured here: ~1.5-2 us each, most of an exec's BPF time, for
 * an empty filename and argv). By the exit the kernel has read them itself:
 *  - after a failed exec the caller's memory is unchanged: read at the syscall's own argument
 *    pointers, still in the task's saved registers (pt_regs are saved at entry and exec never
 *    rewrites them on failure), read through bpf_task_pt_regs(current); the kernel has read
 *    the filename (getname()), and the arguments too unless it failed before copying them;
 *  - after a successful one the old address space is gone, and the new program's stack holds
 *    the very strings the kernel copied, in pages it has just written: argv through the
 *    argv[] array at mm->start_stack + 8 (after argc), the filename at mm->env_end (copied
 *    first, above the environment strings: fs/exec.c, bprm->exec). For a #! script the new
 *    argv is the one the kernel made for the interpreter (interpreter, script, then the
 *    arguments after argv[0]), as /proc/PID/cmdline shows it.
 * The record is built in a per-CPU buffer (one program run: no sleeping in between) and only
 * its used part is copied to the ring buffer.
 *
 * Nothing is kept between entry and exit (no entry program, no task storage: allocating a
 * task's storage on its first exec cost ~1.5 us here, as much as the rest).
 *
 * Fallback: the same work on the raw tp_btf/sys_exit (ps_exec_raw_exit), which runs for every
 * syscall of the host and bails out on the number, for hosts where tracefs is not mounted and
 * cannot be (libbpf resolves the syscall tracepoints' ids through tracefs). User space loads
 * one or the other (src/probes/tracefs.ts), never both.
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

/* The record being built (a full-size one: 2,864 bytes do not fit on the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} scratch SEC(".maps");

/* filename and the first EXEC_MAX_ARGS arguments from user memory the kernel has just read. */
static __always_inline void capture(struct exec_event *e, const char *filename, const char *const *argv)
{
	const char *arg;
	long n;
	char c;
	__u32 i;

	e->argc = 0;
	e->flags = 0;
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename) < 0)
		e->filename[0] = 0;
	for (i = 0; i < EXEC_MAX_ARGS; i++) {
		arg = 0;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		n = bpf_probe_read_user_str(e->args[i], EXEC_ARG_LEN, arg);
		if (n < 0)
			e->args[i][0] = 0;
		else if (n == EXEC_ARG_LEN && !bpf_probe_read_user(&c, 1, arg + EXEC_ARG_LEN - 1) && c)
			e->flags |= EXEC_F_ARGS_TRUNCATED; /* the byte after the kept 127 is not the NUL */
		e->argc = i + 1;
	}
	if (e->argc == EXEC_MAX_ARGS) {
		arg = 0;
		if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[EXEC_MAX_ARGS]) && arg)
			e->flags |= EXEC_F_ARGS_TRUNCATED;
	}
}

/* The syscall `nr` (NR_execve or NR_execveat) returns `ret`: read the strings, add the result
 * and submit. A successful exec returns as an execve: set_personality_64bit() sets orig_ax to
 * __NR_execve ("pretend that this comes from a 64bit execve"), so a successful execveat leaves
 * through sys_exit_execve (raw: orig_ax 59), never through sys_exit_execveat. */
static __always_inline void submit(long nr, long ret)
{
	struct task_struct *task;
	struct exec_event *e;
	struct mm_struct *mm;
	struct pt_regs *regs;
	__u32 argc, zero = 0;

	if (!feed_native_syscall() || feed_skip())
		return;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return;
	task = bpf_get_current_task_btf();
	if (ret == 0) {
		mm = task->mm;
		if (!mm)
			return;
		capture(e, (const char *)mm->env_end, (const char *const *)(mm->start_stack + 8));
	} else {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		if (nr == NR_execve) /* execve(pathname, argv, envp) */
			capture(e, (const char *)regs->di, (const char *const *)regs->si);
		else /* execveat(dirfd, pathname, argv, envp, flags) */
			capture(e, (const char *)regs->si, (const char *const *)regs->dx);
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = (__s32)ret;
	e->cgroup = bpf_get_current_cgroup_id();
	feed_count_cgroup(e->cgroup);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	argc = e->argc;
	if (argc > EXEC_MAX_ARGS)
		argc = EXEC_MAX_ARGS;
	if (bpf_ringbuf_output(&events, e, EXEC_EVENT_BASE + argc * EXEC_ARG_LEN, feed_wakeup(&events)))
		feed_drop();
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

SEC("tracepoint/syscalls/sys_exit_execve") /* also sys_exit_execveat */
int ps_exec_exit(struct trace_event_raw_sys_exit *ctx)
{
	submit(tp_syscall_nr(&ctx->id), ctx->ret);
	return 0;
}

/* Fallback: raw syscall tracepoints, run for every syscall of the host. */

SEC("tp_btf/sys_exit")
int BPF_PROG(ps_exec_raw_exit, struct pt_regs *regs, long ret)
{
	/* Every syscall's exit: only execve's and execveat's go on. */
	long nr = regs->orig_ax;

	if (nr == NR_execve || nr == NR_execveat)
		submit(nr, ret);
	return 0;
}
