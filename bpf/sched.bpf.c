// SPDX-License-Identifier: GPL-2.0
/* sched: one tp_btf/sched_switch program for the off-CPU probe and the run-queue probe.
 *
 * Both probes watch every context switch of the host, and both need the same two tasks' state
 * (the one that leaves, the one that comes back). One program serves both: the kernel's fixed
 * cost of running a program on the hook is paid once per switch, one task-local storage value
 * per task holds what both keep, and each part's work runs only while user space has switched
 * that part on in the live config word (`sched_cfg.parts`): each probe goes on and off on its
 * own, without a reload, while the other keeps counting (src/probes/sched.ts).
 *
 * Off-CPU part (OFFCPU_*: bpf/offcpu.h): for each CPU and each task that came back on it, how
 * long it had been off the CPU (longest and sum), how often it came back, how many of its
 * switch-outs were involuntary and who took the CPU from it last.
 * 1. Stamp (every CPU). At every switch-out the task's {ts, preempted, preempting comm} is
 *    written into its task storage, watched CPU or not: a task that leaves an unwatched CPU
 *    and comes back on the watched one is measured from the moment it really left. The stamp
 *    carries the part's epoch: a stamp from before the part was last switched on is ignored.
 * 2. Consume. The task that comes back consumes its stamp; then only watched CPUs go on
 *    (`watch`, read per event: a pin change needs no reload and misses nothing).
 * 3. Aggregation. A HASH keyed by {cpu, pid}; only the CPU in the key ever writes an entry
 *    (sched_switch runs with the rq lock held and preemption off, and never nests on one CPU),
 *    so plain read-modify-writes are safe. comm and tgid are copied when the row is made.
 * 4. Generations. The hash written is whatever the one slot of the ARRAY_OF_MAPS `gens` points
 *    at; user space flips it every tick. The map-in-map update returns only after an RCU grace
 *    period (kernel/bpf/syscall.c: map_update_elem() -> maybe_wait_bpf_programs() ->
 *    synchronize_rcu() for ARRAY_OF_MAPS), and this program runs inside an RCU read-side
 *    section (kernel/trace/bpf_trace.c: __bpf_trace_run() wraps bpf_prog_run() in
 *    rcu_read_lock()), looking the inner map up and writing it within that one section: once
 *    the flip returns nothing writes the old generation, and not one return is lost or counted
 *    twice.
 * 5. Overflow. A full hash fails the insert; the event is counted in the per-CPU `overflow`.
 * 6. Conservation. With count_totals, `returns_total` keeps each task's cumulative returns seen
 *    on watched CPUs, counted before the aggregation is tried: sum of reported returns +
 *    overflow == returns_total.
 *
 * Run-queue part (bpf/runqlat.h): log2 histograms of how long runnable tasks waited for a CPU,
 * per CPU, from the scheduler's own accounting instead of wake-up hooks. With CONFIG_SCHED_INFO
 * the kernel adds every wait of a task on a run queue to task->sched_info.run_delay (the second
 * field of /proc/PID/schedstat) when the wait ends (sched_info_arrive() at the switch-in,
 * sched_info_dequeue() when a waiting task is migrated) and counts the switch-ins that ended a
 * wait in sched_info.pcount; a wait starts at the enqueue (a wake-up, a new task) or at a
 * switch-out that leaves the task runnable (a preemption): the waits of BCC's runqlat. At each
 * switch-out of a task its run_delay and pcount are compared with those of its previous
 * switch-out: if pcount moved, the run that ends now began with a wait of exactly the run_delay
 * difference (a wait cut by a migration included), counted on this CPU's own slot of a per-CPU
 * array: the CPU the task waited for and then ran on. No clock read, no program on the
 * wake-up hooks, nothing that can fill up. A wait is counted when the run it led to ends. A
 * task that existed when the part went on is measured from its first switch-out after that (its
 * baseline); one started later (task->start_time after rq_since) from zero, so its first wait,
 * from the wake-up of a new task, counts too.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "offcpu.h"
#include "runqlat.h"
#include "sched.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sched_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_cfg);
} sched_cfg SEC(".maps");

/* Never read by the program: user space writes its one slot to wait for an RCU grace period
 * (an ARRAY_OF_MAPS update returns only after one), after a part went off and before its maps
 * are read or reset. */
struct barrier_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} barrier_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct barrier_inner);
} barrier SEC(".maps");

/* Off-CPU part. */

struct offcpu_agg {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFFCPU_MAX_ROWS);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_val);
};

/* The two generations. */
struct offcpu_agg agg0 SEC(".maps");
struct offcpu_agg agg1 SEC(".maps");

/* Slot 0: the generation being written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct offcpu_agg);
} gens SEC(".maps") = {
	.values = { &agg0 },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFFCPU_MAX_TASKS);
	__type(key, __u32);
	__type(value, __u64);
} returns_total SEC(".maps");

/* Run-queue part. */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

/* comm is char[16]: two plain loads through the BTF pointer (no probe-read helper). */
static __always_inline void copy_comm(char *dst, const char *src)
{
	((__u64 *)dst)[0] = ((const __u64 *)src)[0];
	((__u64 *)dst)[1] = ((const __u64 *)src)[1];
}

static __always_inline void lost_one(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&overflow, &zero);

	if (n)
		*n += 1; /* this CPU's own slot */
}

static __always_inline void count_total(__u32 pid)
{
	__u64 one = 1, *t = bpf_map_lookup_elem(&returns_total, &pid);

	if (t) {
		/* a task comes back on one CPU at a time, but be exact anyway */
		__sync_fetch_and_add(t, 1);
		return;
	}
	if (bpf_map_update_elem(&returns_total, &pid, &one, BPF_NOEXIST)) {
		t = bpf_map_lookup_elem(&returns_total, &pid);
		if (t)
			__sync_fetch_and_add(t, 1);
	}
}

/* The task `next` comes back at `now`: consume its stamp and aggregate. */
static __always_inline void offcpu_return(struct sched_cfg *cfg, struct sched_task *t,
					  struct task_struct *next, __u64 now)
{
	struct offcpu_key key = {};
	struct offcpu_val *v;
	__u32 cpu, zero = 0;
	__u64 delta;
	void *inner;

	/* No stamp of this epoch: it left before the part went on (or is new): unknown. */
	if (t->out_epoch != cfg->off_epoch)
		return;
	t->out_epoch = 0;
	delta = now - t->out_ns;
	if ((__s64)delta < 0)
		return;
	cpu = bpf_get_smp_processor_id();
	if (!cpu_watched(*(volatile __u32 *)&cfg->watch, cpu))
		return;

	key.cpu = cpu;
	key.pid = next->pid;
	if (cfg->count_totals)
		count_total(key.pid);

	inner = bpf_map_lookup_elem(&gens, &zero);
	if (!inner) {
		lost_one();
		return;
	}
	v = bpf_map_lookup_elem(inner, &key);
	if (v) {
		if (delta > v->max_ns)
			v->max_ns = delta;
		v->total_ns += delta;
		v->returns += 1;
		if (t->preempted) {
			v->preempted += 1;
			__builtin_memcpy(v->preempted_by, t->by, sizeof(v->preempted_by));
		}
		return;
	}

	struct offcpu_val nv = {};
	nv.max_ns = delta;
	nv.total_ns = delta;
	nv.returns = 1;
	nv.tgid = next->tgid;
	copy_comm(nv.comm, next->comm);
	if (t->preempted) {
		nv.preempted = 1;
		__builtin_memcpy(nv.preempted_by, t->by, sizeof(nv.preempted_by));
	}
	/* Only this CPU inserts keys with this cpu: the only failure is a full hash (-E2BIG). */
	if (bpf_map_update_elem(inner, &key, &nv, BPF_NOEXIST))
		lost_one();
}

/* The task `prev` leaves this CPU: count the wait its run began with (see the top). */
static __always_inline void runqlat_depart(struct sched_cfg *cfg, struct sched_task *t,
					   struct task_struct *prev)
{
	__u64 delay = prev->sched_info.run_delay, pcount = prev->sched_info.pcount, wait;
	__u32 zero = 0, epoch = cfg->rq_epoch, slot;
	struct runqlat_hist *h;

	/* A task started after the part went on has its whole accounting in this on-period: its
	 * baseline is zero, so the wait before its first run counts too (a short-lived task may
	 * have only that one). */
	if (t->rq_epoch != epoch && prev->start_time > cfg->rq_since) {
		t->rq_delay = 0;
		t->rq_pcount = 0;
		t->rq_epoch = epoch;
	}
	if (t->rq_epoch == epoch && pcount != t->rq_pcount) {
		wait = delay - t->rq_delay;
		h = bpf_map_lookup_elem(&hists, &zero);
		if (h && (__s64)wait >= 0) {
			slot = log2_u64(wait / 1000);
			if (slot >= RUNQLAT_MAX_SLOTS)
				slot = RUNQLAT_MAX_SLOTS - 1;
			h->slots[slot]++;
			h->total_ns += wait;
		}
	}
	t->rq_delay = delay;
	t->rq_pcount = pcount;
	t->rq_epoch = epoch;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct sched_cfg *cfg;
	struct sched_task *t;
	__u32 zero = 0, parts;
	__u64 now = 0;

	cfg = bpf_map_lookup_elem(&sched_cfg, &zero);
	if (!cfg)
		return 0;
	parts = *(volatile __u32 *)&cfg->parts;
	if (!parts)
		return 0;
	if (parts & SCHED_PART_OFFCPU)
		now = bpf_ktime_get_ns();

	/* The task that leaves: its off-CPU stamp, its run-queue figures. Idle tasks never wait,
	 * but their absences are off-CPU rows of their own. */
	t = bpf_task_storage_get(&tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t) {
		if (parts & SCHED_PART_OFFCPU) {
			t->out_ns = now;
			t->out_epoch = cfg->off_epoch;
			/* Still runnable (it stays on the run queue) when the switch is a preemption
			 * or its state is TASK_RUNNING; prev_state is the state __schedule() acted
			 * on, unlike prev->__state, which a wake-up elsewhere may already have reset. */
			t->preempted = preempt || prev_state == TASK_RUNNING;
			if (t->preempted)
				copy_comm(t->by, next->comm);
		}
		if ((parts & SCHED_PART_RUNQLAT) && prev->pid)
			runqlat_depart(cfg, t, prev);
	}

	/* The task that comes back. */
	if (parts & SCHED_PART_OFFCPU) {
		t = bpf_task_storage_get(&tasks, next, 0, 0);
		if (t)
			offcpu_return(cfg, t, next, now);
	}
	return 0;
}
