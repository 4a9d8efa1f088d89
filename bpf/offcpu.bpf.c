// SPDX-License-Identifier: GPL-2.0
/* offcpu: for each CPU and each task that came back on it, how long the task had been off the
 * CPU (longest and sum), how often it came back, how many of its switch-outs were involuntary
 * and who took the CPU from it last. Everything from one program on tp_btf/sched_switch,
 * aggregated in the kernel; user space reads one generation per tick.
 *
 * Off-CPU time runs from the switch-out of a task to its next switch-in, and is attributed to the
 * CPU it comes back on.
 *
 * 1. Stamp (every CPU). At every switch-out the task's stamp {ts, preempted, preempting comm} is
 *    written into task-local storage, on every CPU, watched or not: a task that leaves an
 *    unwatched CPU and comes back on the watched one must still be measured from the moment it
 *    really left. Task storage has no capacity to run out of and dies with the task.
 * 2. Early exit. Everything after the stamp (the aggregation, the expensive part: a hash lookup
 *    or insert, copies) only runs on watched CPUs; the others leave right after one ARRAY lookup.
 *    Which CPUs are watched is read, per event, from the one-word ARRAY `offcpu_cfg` that user
 *    space writes live (setPinnedCpu): no reload, no re-attach, nothing missed around a change.
 * 3. Aggregation. A HASH keyed by {cpu, pid}. Only the CPU in the key ever writes an entry
 *    (the key holds the current CPU; sched_switch runs with the rq lock held and preemption off,
 *    and never nests on one CPU), so plain read-modify-writes are safe.
 * 4. Generations. The hash the program writes is whatever the one slot of the ARRAY_OF_MAPS
 *    `gens` points at: agg0 at load, then user space flips it to the other one every tick.
 *    The map-in-map update syscall waits for an RCU grace period before it returns
 *    (kernel/bpf/syscall.c: map_update_elem() calls maybe_wait_bpf_programs(map) on success,
 *    which does synchronize_rcu() for BPF_MAP_TYPE_ARRAY_OF_MAPS/HASH_OF_MAPS), and this
 *    program runs inside an RCU read-side section (kernel/trace/bpf_trace.c: __bpf_trace_run()
 *    wraps bpf_prog_run() in rcu_read_lock()/rcu_read_unlock(); sched_switch itself also runs
 *    with preemption off). The program looks the inner map up and writes it within that one
 *    section, so once the flip returns no run can still be writing the old generation: user
 *    space then reads and empties it at leisure, and not one return is lost or counted twice.
 * 5. Overflow. When the active hash is full the insert fails (-E2BIG); the event is counted in
 *    the per-CPU `overflow` counter, reported per interval. Never silent.
 * 6. Conservation. With count_totals set before load, `returns_total` keeps each task's
 *    cumulative number of returns seen where aggregation happens (watched CPUs), counted before
 *    the aggregation is attempted: sum of reported returns + overflow == returns_total.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "offcpu.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load. The CPU watched until user space first writes offcpu_cfg (-1: all). */
const volatile __s32 initial_cpu = OFFCPU_ALL_CPUS;
/* Keep returns_total (off by default: one more hash update per event). */
const volatile bool count_totals = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_stamp);
} stamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_cfg);
} offcpu_cfg SEC(".maps");

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

static __always_inline bool watched(__u32 cpu)
{
	__u32 zero = 0, w = OFFCPU_WATCH_INIT;
	struct offcpu_cfg *c = bpf_map_lookup_elem(&offcpu_cfg, &zero);

	if (c)
		w = *(volatile __u32 *)&c->watch;
	if (w == OFFCPU_WATCH_INIT)
		return initial_cpu < 0 || (__u32)initial_cpu == cpu;
	if (w == OFFCPU_WATCH_ALL)
		return true;
	return w - OFFCPU_WATCH_CPU0 == cpu;
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

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_offcpu_sw, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct offcpu_key key = {};
	struct offcpu_stamp *st;
	struct offcpu_val *v;
	__u32 cpu, zero = 0;
	__u64 now, delta;
	void *inner;

	now = bpf_ktime_get_ns();
	cpu = bpf_get_smp_processor_id();

	/* 1. Stamp the task that leaves, on every CPU. It is still runnable (preempted, i.e. it
	 * stays on the run queue) when the switch is a preemption or its state is TASK_RUNNING;
	 * prev_state is the state __schedule() acted on, unlike prev->__state, which a wake-up on
	 * another CPU may already have set back to running. */
	st = bpf_task_storage_get(&stamps, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st) {
		st->ts = now;
		st->preempted = preempt || prev_state == TASK_RUNNING;
		if (st->preempted)
			bpf_probe_read_kernel(st->by, sizeof(st->by), next->comm);
	}

	/* 2. Cheap early exit for CPUs that are not watched. */
	if (!watched(cpu))
		return 0;

	/* 3. The task that comes back: consume its stamp. No stamp: it left before we attached
	 * (or is new), so its off-CPU time is unknown. */
	st = bpf_task_storage_get(&stamps, next, 0, 0);
	if (!st || !st->ts)
		return 0;
	delta = now - st->ts;
	st->ts = 0;
	if ((__s64)delta < 0)
		return 0;

	key.cpu = cpu;
	key.pid = BPF_CORE_READ(next, pid);
	if (count_totals)
		count_total(key.pid);

	/* 4. Aggregate into the active generation. */
	inner = bpf_map_lookup_elem(&gens, &zero);
	if (!inner) {
		lost_one();
		return 0;
	}
	v = bpf_map_lookup_elem(inner, &key);
	if (v) {
		if (delta > v->max_ns)
			v->max_ns = delta;
		v->total_ns += delta;
		v->returns += 1;
		if (st->preempted) {
			v->preempted += 1;
			__builtin_memcpy(v->preempted_by, st->by, sizeof(v->preempted_by));
		}
		bpf_probe_read_kernel(v->comm, sizeof(v->comm), next->comm);
		return 0;
	}

	struct offcpu_val nv = {};
	nv.max_ns = delta;
	nv.total_ns = delta;
	nv.returns = 1;
	nv.tgid = BPF_CORE_READ(next, tgid);
	bpf_probe_read_kernel(nv.comm, sizeof(nv.comm), next->comm);
	if (st->preempted) {
		nv.preempted = 1;
		__builtin_memcpy(nv.preempted_by, st->by, sizeof(nv.preempted_by));
	}
	/* Only this CPU inserts keys with this cpu: the only failure is a full hash (-E2BIG). */
	if (bpf_map_update_elem(inner, &key, &nv, BPF_NOEXIST))
		lost_one();
	return 0;
}
