/* offcpu: the off-CPU probe's kernel side, a part of the scheduler object: bpf/sched.bpf.c
 * includes this once (it defines the part's maps), and its sched_switch program calls
 * offcpu_depart() and offcpu_return(). Kernel only; the user side is src/probes/offcpu.ts.
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
 *    synchronize_rcu() for ARRAY_OF_MAPS), and the sched_switch program runs inside an RCU read-side
 *    section (kernel/trace/bpf_trace.c: __bpf_trace_run() wraps bpf_prog_run() in
 *    rcu_read_lock()), looking the inner map up and writing it within that one section: once
 *    the flip returns nothing writes the old generation, and not one return is lost or counted
 *    twice.
 * 5. Overflow. A full hash fails the insert; the event is counted in the per-CPU `overflow`.
 * 6. Conservation. With count_totals, `returns_total` keeps each task's cumulative returns seen
 *    on watched CPUs, counted before the aggregation is tried: sum of reported returns +
 *    overflow == returns_total.
 */
#ifndef PERFSCOPE_OFFCPU_BPF_H
#define PERFSCOPE_OFFCPU_BPF_H

#include "perfscope.bpf.h"
#include "sched.h"
#include "offcpu.h"
#include "containers.bpf.h"

/* The two generations, and the slot saying which one is written. */
PERFSCOPE_GENERATIONS(offcpu_agg, agg0, agg1, gens, struct offcpu_key, struct offcpu_val, OFFCPU_MAX_ROWS, 0);

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

/* comm is char[16]: two plain loads through the BTF pointer (no probe-read helper). */
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

/* The task `prev` leaves this CPU at `now`, for `next`: its stamp (step 1 at the top). */
static __always_inline void offcpu_depart(struct sched_cfg *cfg, struct sched_task *t, bool preempt,
					  struct task_struct *next, unsigned int prev_state, __u64 now)
{
	t->out_ns = now;
	t->out_epoch = cfg->off_epoch;
	/* Still runnable (it stays on the run queue) when the switch is a preemption
	 * or its state is TASK_RUNNING; prev_state is the state __schedule() acted
	 * on, unlike prev->__state, which a wake-up elsewhere may already have reset. */
	t->preempted = preempt || prev_state == TASK_RUNNING;
	if (t->preempted)
		comm_copy(t->by, next->comm);
}

/* The task `next` comes back at `now`: consume its stamp and aggregate (`parts`: the off-CPU
 * part's rows, the containers part's worst absence per cgroup). --cgroup: a task whose cgroup
 * (at its switch-out) is left out is neither. */
static __always_inline void offcpu_return(struct sched_cfg *cfg, struct sched_task *t,
					  struct task_struct *next, __u64 now, __u32 parts, bool filtering,
					  bool tracked)
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
	/* t->cgroup is written at switch-outs while the filter or the containers part is on. */
	if (filtering && !bpf_map_lookup_elem(&cg_allow, &t->cgroup))
		return;
	/* (a stamp from before the containers part went on has no cgroup yet: 0) */
	if ((parts & SCHED_PART_CGROUP) && next->pid && t->cgroup)
		cgroup_off(cfg, t->cgroup, next, delta);
	if (!(parts & SCHED_PART_OFFCPU))
		return;
	cpu = bpf_get_smp_processor_id();
	if (!cpu_watched(*(volatile __u32 *)&cfg->watch, cpu))
		return;
	/* perfscope's own threads: left out, as -p leaves out other processes (not lost). */
	if (cfg->off_self && next->tgid == *(volatile __u32 *)&cfg->off_self)
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
	/* Its cgroup: as kept at the switch-out, else read now (once per row: `next` is not current). */
	nv.cgroup = tracked && t->cgroup ? t->cgroup : BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id);
	comm_copy(nv.comm, next->comm);
	if (t->preempted) {
		nv.preempted = 1;
		__builtin_memcpy(nv.preempted_by, t->by, sizeof(nv.preempted_by));
	}
	/* Only this CPU inserts keys with this cpu: the only failure is a full hash (-E2BIG). */
	if (bpf_map_update_elem(inner, &key, &nv, BPF_NOEXIST))
		lost_one();
}

#endif
