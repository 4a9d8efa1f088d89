// SPDX-License-Identifier: GPL-2.0
/* profile: timed sampling of on-CPU stacks (BCC's profile), with no compiler on the host.
 *
 * 1. Sampling. User space opens a CPU-clock perf event at F Hz on each sampled CPU (every online
 *    CPU, or the pinned one) and attaches `profile_sample` to it; each sample runs it in the
 *    interrupted context (NMI or hard IRQ), on the CPU sampled.
 * 2. Filters: the idle task is only counted (`idle`); -p (targ_tgid) and -c (a substring of the
 *    comm) are set before load.
 * 3. Stacks. The kernel stack (from the interrupted registers: empty when the CPU was in user
 *    mode) and the user stack (frame-pointer walk of the task's user registers) are read into a
 *    per-CPU key with the process, its comm and its address space; the key holds whole stacks,
 *    so rows never collide. A stack with as many frames as the key holds is marked truncated.
 * 4. Generations. Rows are counted in a HASH per generation, picked through the one slot of the
 *    ARRAY_OF_MAPS `gens`; user space flips it every tick (the update returns after an RCU
 *    grace period; a perf event program runs inside rcu_read_lock(): kernel/events/core.c,
 *    bpf_overflow_handler()) and then reads and empties the generation left. The counters of
 *    `stats` are per generation too (the run picks them by the hash it got), so an interval's
 *    sample count and its rows are of the same samples: samples = sum of row counts + lost.
 * 5. Address spaces. The first sample of an address space (tgid, mm) is announced through the
 *    ring buffer `procs`, so user space reads the process's maps while it lives.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "perfscope.bpf.h"
#include "stacks.bpf.h"
#include "task_filter.bpf.h"
#include "profile.h"

char LICENSE[] SEC("license") = "GPL";


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct profile_stat);
} stats SEC(".maps");

/* Set before load: copy user stacks for unwinding in user space (else frame-pointer walks in
 * the kernel only, as before: --unwind fp). */
const volatile bool unwind_wanted = true;

PERFSCOPE_GENERATIONS(profile_agg, agg0, agg1, gens, struct stack_key, __u64, STACK_MAX_ROWS, BPF_F_NO_PREALLOC);

/* The user registers of the sampled task: the interrupted ones when it was in user mode, else
 * those saved at its entry to the kernel. */
static __always_inline void user_regs(struct bpf_perf_event_data *ctx, struct task_struct *task, struct stack_sample *r)
{
	struct pt_regs *regs;

	__u64 ip = ctx->regs.ip;

	if ((__s64)ip > 0) { /* a user address: the task was in user mode (kernel ones have the top bit set) */
		r->ip = ip;
		r->sp = ctx->regs.sp;
		r->bp = ctx->regs.bp;
		return;
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs) {
		r->ip = r->sp = r->bp = 0;
		return;
	}
	r->ip = BPF_CORE_READ(regs, ip);
	r->sp = BPF_CORE_READ(regs, sp);
	r->bp = BPF_CORE_READ(regs, bp);
}

SEC("perf_event")
int ps_profile(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id, zero = 0, gen;
	struct profile_stat *st;
	struct stack_key *key;
	struct stack_sample *rec;
	struct task_struct *task;
	char comm[STACK_COMM_LEN];
	long n;
	void *agg;

	agg = bpf_map_lookup_elem(&gens, &zero);
	if (!agg)
		return 0;
	gen = agg == (void *)&agg1;
	st = bpf_map_lookup_elem(&stats, &gen);
	if (!st)
		return 0;
	if (tid == 0) {
		__sync_fetch_and_add(&st->idle, 1);
		return 0;
	}
	bpf_get_current_comm(comm, sizeof(comm));
	if (!task_wanted(tgid, comm))
		return 0;
	__sync_fetch_and_add(&st->samples, 1);

	/* The record to unwind in user space; when the ring is full, a frame-pointer row. */
	rec = unwind_wanted ? bpf_ringbuf_reserve(&samples, sizeof(*rec) + STACK_COPY_PROFILE, 0) : NULL;
	if (rec)
		key = &rec->key;
	else if (!(key = bpf_map_lookup_elem(&scratch, &zero)))
		return 0;
	__builtin_memcpy(key->comm, comm, sizeof(comm));
	key->pid = 0;
	key->tgid = tgid;
	task = bpf_get_current_task_btf();
	key->mmid = stack_mmid(task);
	key->cgroup = bpf_get_current_cgroup_id();

	n = bpf_get_stack(ctx, key->kstack, sizeof(key->kstack), 0);
	if (n < 0) {
		__sync_fetch_and_add(&st->kfail, 1);
		n = 0;
	}
	key->kframes = n / 8;
	key->uframes = 0;
	if (rec) {
		rec->gen = gen;
		rec->delta_ns = 0;
		rec->preempted = 0;
		rec->stack_len = 0;
		rec->ip = rec->sp = rec->bp = 0;
		if (key->mmid) {
			user_regs(ctx, task, rec);
			if (rec->sp)
				rec->stack_len = STACK_COPY_LADDER(rec->stack, STACK_COPY_PROFILE, rec->sp);
			if (!rec->ip)
				__sync_fetch_and_add(&st->ufail, 1);
			else if (!stack_announce(tgid, key->mmid))
				__sync_fetch_and_add(&st->unannounced, 1);
		}
		bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
		return 0;
	}
	if (unwind_wanted)
		__sync_fetch_and_add(&st->fp_rows, 1);
	if (key->mmid) {
		n = bpf_get_stack(ctx, key->ustack, sizeof(key->ustack), BPF_F_USER_STACK);
		if (n < 0) {
			__sync_fetch_and_add(&st->ufail, 1);
			n = 0;
		}
		key->uframes = n / 8;
		if (key->uframes && !stack_announce(tgid, key->mmid))
			__sync_fetch_and_add(&st->unannounced, 1);
	} else {
		__builtin_memset(key->ustack, 0, sizeof(key->ustack));
	}
	if (hash_count(agg, key))
		__sync_fetch_and_add(&st->lost, 1);
	return 0;
}
