// SPDX-License-Identifier: GPL-2.0
/* tcp feed: active connects and accepted connections, IPv4 and IPv6, each reported with the
 * pid/tid/comm of the task that called connect() or accept().
 *
 * Why not one hook on TCP state changes: the passive side reaches ESTABLISHED in softirq
 * context (the final ACK is processed on whatever task the CPU happened to run: BCC's
 * tcpaccept explains it), so its pid would be wrong; and on the active side the CLOSE ->
 * SYN_SENT transition happens before the source port is chosen (tcp_v4_connect sets
 * SYN_SENT, then inet_hash_connect picks the port), so sport would often be 0.
 *
 * connect: tp_btf/inet_sock_set_state CLOSE -> SYN_SENT runs in the task that calls connect()
 *   (tcp_v4_connect/tcp_v6_connect under the connect syscall); when the current syscall is a
 *   native connect it keeps the sock in task-local storage. At the exit of that connect
 *   (syscalls:sys_exit_connect) the capture is taken (and always cleared), and the event is
 *   sent with the full
 *   4-tuple (the port is chosen by then) when connect returned 0 or -EINPROGRESS.
 *   So one event per connection attempt that sent a SYN and was not refused at once:
 *   - blocking connect: reported when it returns 0 (connected); a blocking connect that fails
 *     (ECONNREFUSED, ETIMEDOUT) or is interrupted by a signal is not reported;
 *   - non-blocking connect: reported when connect() returns -EINPROGRESS, i.e. when the SYN
 *     has been sent, whatever the handshake's outcome later (its failure is not reported).
 *     Calling connect() again on that socket to learn the outcome (it then returns EALREADY,
 *     EISCONN or 0) changes no TCP state, so it never produces a second event.
 *   - not covered: TCP Fast Open connects made by sendto/sendmsg(MSG_FASTOPEN), io_uring
 *     connects, kernel sockets.
 * accept: syscalls:sys_exit_accept / sys_exit_accept4 returning a fd: the socket is found through
 *   current->files->fdt->fd[fd]->private_data (struct socket, checked by its back pointer to
 *   the file) and reported when it is a TCP stream socket of family AF_INET or AF_INET6.
 *   io_uring accepts are not covered.
 * An AF_INET6 socket talking to an IPv4 peer (dual-stack) is reported as family 6 with
 * v4-mapped addresses (::ffff:a.b.c.d), as the socket itself has them.
 *
 * Syscall numbers and registers are x86_64's (as in exec.bpf.c); ia32 syscalls are skipped.
 * The exit programs are on the per-syscall tracepoints: the kernel runs each only for its own
 * syscall, every other syscall pays a bitmap test in perf_syscall_exit and no BPF run.
 * Fallback: ps_tcp_raw_exit on the raw tp_btf/sys_exit (runs for every syscall of the host and
 * returns after a compare for all but connect/accept/accept4), for hosts where tracefs is not
 * mounted and cannot be (libbpf resolves the syscall tracepoints' ids through tracefs). User
 * space loads one set or the other (src/probes/tracefs.ts), never both; ps_tcp_state is in both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "feed.bpf.h"
#include "tcp.h"

#define NR_connect 42
#define NR_accept  43
#define NR_accept4 288

#define AF_INET     2
#define AF_INET6    10
#define SOCK_STREAM 1
#define EINPROGRESS 115

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18); /* 256 KiB: ~2,700 events of 96 bytes (with the record header) */
} events SEC(".maps");

/* BTF only: a ring-buffer record is never a map's or global's type, so without this
 * struct tcp_event would not be in the object's BTF, which test/probes/layout.test.ts reads to
 * check src/probes/tcp.ts. libbpf skips the section: no map, nothing loaded. */
struct tcp_event *btf_anchor_tcp_event SEC(".btf_anchor") __attribute__((unused));

/* The sock a connect() in flight has put in SYN_SENT. */
struct connecting {
	struct sock *sk;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct connecting);
} pending SEC(".maps");

/* Send one event for sk (a TCP socket). */
static __always_inline void emit(struct sock *sk, __u32 kind)
{
	struct tcp_event *e;
	__u16 family;
	__u64 id;

	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	if (kind == TCP_KIND_CONNECT)
		feed_count_cgroup(bpf_get_current_cgroup_id());
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		feed_drop();
		return;
	}
	id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->kind = kind;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->pad = 0;
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (family == AF_INET) {
		e->family = 4;
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	} else {
		e->family = 6;
		BPF_CORE_READ_INTO((struct in6_addr *)e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)e->daddr, sk, __sk_common.skc_v6_daddr);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_ringbuf_submit(e, feed_wakeup(&events));
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ps_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct connecting *c;

	if (oldstate != TCP_CLOSE || newstate != TCP_SYN_SENT)
		return 0;
	if (feed_skip() || !feed_native_syscall())
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs || BPF_CORE_READ(regs, orig_ax) != NR_connect)
		return 0; /* not under connect(): fast open, io_uring, kernel socket */
	c = bpf_task_storage_get(&pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c)
		c->sk = (struct sock *)sk;
	return 0;
}

/* The struct sock behind fd in the current task, if fd is a socket. */
static __always_inline struct sock *fd_sock(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds, *file = 0;
	struct socket *sock;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	/* A socket's file and its struct socket point at each other: this rejects a fd that was
	 * closed and reused for something else between accept()'s return and here. */
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return 0;
	return BPF_CORE_READ(sock, sk);
}

/* connect() returns ret: report the connection it put in SYN_SENT, if any. */
static __always_inline void connect_exit(long ret)
{
	struct connecting *c;
	struct sock *sk;

	c = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0, 0);
	if (!c || !c->sk)
		return;
	sk = c->sk;
	c->sk = 0;
	if (ret == 0 || ret == -EINPROGRESS)
		emit(sk, TCP_KIND_CONNECT);
}

/* accept()/accept4() returns ret: report the TCP connection behind the new fd. */
static __always_inline void accept_exit(long ret)
{
	struct sock *sk;

	if (ret < 0)
		return;
	sk = fd_sock(ret);
	if (!sk || BPF_CORE_READ(sk, sk_type) != SOCK_STREAM ||
	    BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	emit(sk, TCP_KIND_ACCEPT);
}

/* Per-syscall exit tracepoints (the default). */

SEC("tracepoint/syscalls/sys_exit_connect")
int ps_tcp_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!feed_native_syscall() || feed_skip())
		return 0;
	connect_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ps_tcp_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!feed_native_syscall() || feed_skip())
		return 0;
	accept_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ps_tcp_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!feed_native_syscall() || feed_skip())
		return 0;
	accept_exit(ctx->ret);
	return 0;
}

/* Fallback: the raw tp_btf/sys_exit, run for every syscall of the host. */
SEC("tp_btf/sys_exit")
int BPF_PROG(ps_tcp_raw_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;

	if (nr != NR_connect && nr != NR_accept && nr != NR_accept4)
		return 0;
	if (!feed_native_syscall() || feed_skip())
		return 0;
	if (nr == NR_connect)
		connect_exit(ret);
	else
		accept_exit(ret);
	return 0;
}
