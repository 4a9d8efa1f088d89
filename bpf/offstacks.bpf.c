// SPDX-License-Identifier: GPL-2.0
/* offstacks: off-CPU time by the stacks a task left with (BCC's offcputime), for the offcpu
 * probe when it is asked for stacks. Its own object: the stack walks cost far more than the
 * scheduler object's off-CPU part (bpf/offcpu.bpf.h), and are only paid while wanted.
 *
 * 1. Switch-out (every CPU, as the off-CPU part stamps): a task that passes -p/-c writes into
 *    its task storage the time, whether it was preempted and by whom, and its user stack (read
 *    now: a task's user stack can only be read while it is current).
 * 2. Switch-in (watched CPUs: the live CPU filter word): the task that comes back consumes its
 *    stamp; its kernel stack is read now with bpf_get_task_stack(): the saved stack of a task
 *    that is not running is exactly the stack it left with, with no frame of this program.
 * 3. Rows: the whole of both stacks is the key (bpf/stacks.h), summed per generation as the
 *    profile object does (see bpf/profile.bpf.c, 4.): returns = sum of row counts + lost.
 *    Several CPUs may update one row (a thread comes back on different CPUs): atomic adds;
 *    the max and the preemptor are written racily (a lost max update is one of two absences
 *    ending in the same instant on two CPUs).
 * 4. A task that left before the object was loaded has no stamp: not counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "perfscope.bpf.h"
#include "stacks.bpf.h"
#include "task_filter.bpf.h"
#include "offstacks.h"

char LICENSE[] SEC("license") = "GPL";


struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offstack_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offstacks_cfg);
} offstacks_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct offstack_stat);
} stats SEC(".maps");

/* Set before load: copy user stacks for unwinding in user space (else frame-pointer walks: --unwind fp). */
const volatile bool unwind_wanted = true;

PERFSCOPE_GENERATIONS(offstacks_agg, agg0, agg1, gens, struct stack_key, struct offstack_val, STACK_MAX_ROWS, BPF_F_NO_PREALLOC);

static __always_inline void depart(void *ctx, struct task_struct *prev, struct task_struct *next,
				   bool preempted, __u64 now, struct offstack_stat *st)
{
	struct offstack_task *t;
	long n;

	if (!prev->pid)
		return; /* the idle task: its absences are the offcpu probe's idle rows, not stacks */
	if (!task_wanted(prev->tgid, prev->comm))
		return;
	t = bpf_task_storage_get(&tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return;
	t->out_ns = now;
	t->cgroup = bpf_get_current_cgroup_id();
	t->preempted = preempted;
	if (preempted)
		comm_copy(t->by, next->comm);
	t->mmid = stack_mmid(prev);
	t->uframes = 0;
	t->stack_len = 0;
	t->ip = t->sp = t->bp = 0;
	if (t->mmid && unwind_wanted) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);

		if (regs) {
			t->ip = BPF_CORE_READ(regs, ip);
			t->sp = BPF_CORE_READ(regs, sp);
			t->bp = BPF_CORE_READ(regs, bp);
		}
		if (t->sp)
			t->stack_len = STACK_COPY_LADDER(t->stack, STACK_COPY_OFFCPU, t->sp);
		if (!t->ip)
			__sync_fetch_and_add(&st->ufail, 1);
		else if (!stack_announce(prev->tgid, t->mmid))
			__sync_fetch_and_add(&st->unannounced, 1);
	} else if (t->mmid) {
		n = bpf_get_stack(ctx, t->ustack, sizeof(t->ustack), BPF_F_USER_STACK);
		if (n < 0) {
			__sync_fetch_and_add(&st->ufail, 1);
			n = 0;
		}
		t->uframes = n / 8;
		if (t->uframes && !stack_announce(prev->tgid, t->mmid))
			__sync_fetch_and_add(&st->unannounced, 1);
	} else {
		__builtin_memset(t->ustack, 0, sizeof(t->ustack));
	}
}

static __always_inline void count_row(void *agg, struct stack_key *key, struct offstack_task *t,
				      __u64 delta, struct offstack_stat *st)
{
	struct offstack_val *v, nv = {};
	long err;

	for (int tries = 0; tries < 2; tries++) {
		v = bpf_map_lookup_elem(agg, key);
		if (v) {
			__sync_fetch_and_add(&v->total_ns, delta);
			__sync_fetch_and_add(&v->count, 1);
			if (delta > v->max_ns)
				v->max_ns = delta;
			if (t->preempted) {
				__sync_fetch_and_add(&v->preempted, 1);
				comm_copy(v->by, t->by);
			}
			return;
		}
		if (tries)
			break;
		nv.total_ns = delta;
		nv.max_ns = delta;
		nv.count = 1;
		nv.preempted = t->preempted ? 1 : 0;
		if (t->preempted)
			comm_copy(nv.by, t->by);
		err = bpf_map_update_elem(agg, key, &nv, BPF_NOEXIST);
		if (!err)
			return;
		if (err != -EEXIST) /* full */
			break;
		/* another CPU inserted it meanwhile: add to that one */
	}
	__sync_fetch_and_add(&st->lost, 1);
}

static __always_inline void arrive(struct task_struct *next, __u64 now, void *agg, struct offstack_stat *st)
{
	struct offstack_task *t;
	struct stack_key *key;
	__u32 zero = 0;
	__u64 delta;
	long n;

	t = bpf_task_storage_get(&tasks, next, 0, 0);
	if (!t || !t->out_ns)
		return;
	delta = now - t->out_ns;
	t->out_ns = 0;
	if ((__s64)delta < 0)
		return;
	__sync_fetch_and_add(&st->returns, 1);
	if (unwind_wanted) {
		struct stack_sample *rec = bpf_ringbuf_reserve(&samples, sizeof(*rec) + STACK_COPY_OFFCPU, 0);

		if (rec) {
			key = &rec->key;
			key->pid = next->pid;
			key->tgid = next->tgid;
			key->mmid = t->mmid;
			key->cgroup = t->cgroup;
			comm_copy(key->comm, next->comm);
			n = bpf_get_task_stack(next, key->kstack, sizeof(key->kstack), 0);
			if (n < 0) {
				__sync_fetch_and_add(&st->kfail, 1);
				n = 0;
			}
			key->kframes = n / 8;
			key->uframes = 0;
			rec->gen = agg == (void *)&agg1;
			rec->delta_ns = delta;
			rec->preempted = t->preempted;
			if (t->preempted)
				comm_copy(rec->by, t->by);
			else
				__builtin_memset(rec->by, 0, sizeof(rec->by));
			rec->ip = t->ip;
			rec->sp = t->sp;
			rec->bp = t->bp;
			rec->stack_len = t->stack_len > STACK_COPY_OFFCPU ? STACK_COPY_OFFCPU : t->stack_len;
			bpf_probe_read_kernel(rec->stack, STACK_COPY_OFFCPU, t->stack);
			bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
			return;
		}
		__sync_fetch_and_add(&st->ucut, 1);
	}
	key = bpf_map_lookup_elem(&scratch, &zero);
	if (!key)
		return;
	key->pid = next->pid;
	key->tgid = next->tgid;
	key->mmid = t->mmid;
	key->cgroup = t->cgroup;
	comm_copy(key->comm, next->comm);
	n = bpf_get_task_stack(next, key->kstack, sizeof(key->kstack), 0);
	if (n < 0) {
		__sync_fetch_and_add(&st->kfail, 1);
		n = 0;
	}
	key->kframes = n / 8;
	key->uframes = unwind_wanted ? 0 : t->uframes;
	if (unwind_wanted)
		__builtin_memset(key->ustack, 0, sizeof(key->ustack));
	else
		bpf_probe_read_kernel(key->ustack, sizeof(key->ustack), t->ustack);
	count_row(agg, key, t, delta, st);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_offstacks, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct offstacks_cfg *cfg;
	struct offstack_stat *st;
	__u32 zero = 0, gen;
	__u64 now = bpf_ktime_get_ns();
	void *agg;

	agg = bpf_map_lookup_elem(&gens, &zero);
	if (!agg)
		return 0;
	gen = agg == (void *)&agg1;
	st = bpf_map_lookup_elem(&stats, &gen);
	if (!st)
		return 0;
	/* Still runnable when it leaves: preempted (see bpf/offcpu.bpf.h). */
	depart(ctx, prev, next, preempt || prev_state == TASK_RUNNING, now, st);
	cfg = bpf_map_lookup_elem(&offstacks_cfg, &zero);
	if (cfg && cpu_watched(*(volatile __u32 *)&cfg->watch, bpf_get_smp_processor_id()))
		arrive(next, now, agg, st);
	return 0;
}
