// SPDX-License-Identifier: GPL-2.0
/* sched: one tp_btf/sched_switch program for the off-CPU, run-queue and isolation probes.
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
 *
 * Isolation part (SCHED_PART_ISO, layouts in bpf/isolation.h): what ran on ONE watched CPU
 * (`iso_cpu`), for how long, and whom it displaced; every other CPU returns after one compare.
 * The CPU's own slot of the per-CPU `iso_state` holds the task on it (pid, switch-in time, the
 * task it replaced). At each switch there the run of `prev` that ends is added to its row
 * {pid, comm} in the generation being written (on-CPU ns, runs, longest run, and a majority vote
 * over the tasks its runs displaced: exact when one task is more than half of them); `next`
 * becomes the task on the CPU. The resident (a thread id user space writes, the previous
 * interval's longest on-CPU) also has its absences measured: from its switch-out to its next
 * switch-in on this CPU, with the task that had the longest single run meanwhile (the one that
 * kept it off; the idle task when it slept) and whether it left still runnable. Interval
 * boundaries: each interval user space writes its end time (`iso_cut`) and then flips the
 * generations; a run is charged from the cut at most, and the one run that straddles the cut
 * leaves its thread and switch-in time in the state (s_*): its part before the cut is user
 * space's to add to the interval that ended there, as it does for the run still going when it
 * reads. Generations as for off-CPU. Only the watched CPU writes: plain read-modify-writes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "offcpu.h"
#include "runqlat.h"
#include "isolation.h"
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

/* Run-queue part. */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

/* Isolation part. */

PERFSCOPE_GENERATIONS(iso_agg, iso0, iso1, iso_gens, struct iso_key, struct iso_val, ISO_MAX_ROWS, 0);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iso_state);
} iso_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} iso_overflow SEC(".maps");

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
	comm_copy(nv.comm, next->comm);
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

static __always_inline void iso_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&iso_overflow, &zero);

	if (n)
		*n += 1;
}

/* The run of `prev` on the watched CPU that ends now: into its row of the generation written. */
static __always_inline void iso_charge(struct iso_state *st, struct task_struct *prev, __u64 part, __u64 run)
{
	struct iso_key key = {};
	struct iso_val *v;
	__u32 zero = 0;
	void *inner;

	inner = bpf_map_lookup_elem(&iso_gens, &zero);
	if (!inner) {
		iso_lost();
		return;
	}
	key.pid = st->pid;
	comm_copy(key.comm, prev->comm);
	v = bpf_map_lookup_elem(inner, &key);
	if (v) {
		v->on_ns += part;
		v->runs += 1;
		if (run > v->max_run_ns)
			v->max_run_ns = run;
		if (v->vote == 0) {
			v->vote = 1;
			v->disp_pid = st->disp_pid;
			comm_copy(v->disp_comm, st->disp_comm);
		} else if (v->disp_pid == st->disp_pid) {
			v->vote += 1;
		} else {
			v->vote -= 1;
		}
		return;
	}
	struct iso_val nv = {};
	nv.on_ns = part;
	nv.runs = 1;
	nv.max_run_ns = run;
	nv.tgid = st->tgid;
	nv.vote = 1;
	nv.disp_pid = st->disp_pid;
	comm_copy(nv.disp_comm, st->disp_comm);
	if (bpf_map_update_elem(inner, &key, &nv, BPF_NOEXIST))
		iso_lost();
}

/* The resident is back after an absence of `gap`: into its row. */
static __always_inline void iso_absence(struct iso_state *st, struct task_struct *next, __u64 gap)
{
	struct iso_key key = {};
	struct iso_val *v;
	__u32 zero = 0;
	void *inner;

	inner = bpf_map_lookup_elem(&iso_gens, &zero);
	if (!inner) {
		iso_lost();
		return;
	}
	key.pid = next->pid;
	comm_copy(key.comm, next->comm);
	v = bpf_map_lookup_elem(inner, &key);
	if (!v) {
		struct iso_val nv = {};
		nv.tgid = next->tgid;
		if (bpf_map_update_elem(inner, &key, &nv, BPF_NOEXIST)) {
			iso_lost();
			return;
		}
		v = bpf_map_lookup_elem(inner, &key);
		if (!v)
			return;
	}
	v->off_count += 1;
	v->off_total_ns += gap;
	if (gap > v->off_max_ns) {
		v->off_max_ns = gap;
		v->off_by_pid = st->r_top_pid;
		v->off_preempted = st->r_preempted;
		comm_copy(v->off_by_comm, st->r_top_comm);
	}
}

/* A switch on the watched CPU. */
static __always_inline void iso_switch(struct sched_cfg *cfg, bool preempt, struct task_struct *prev,
				       struct task_struct *next, unsigned int prev_state)
{
	__u32 zero = 0, epoch = cfg->iso_epoch, resident = cfg->iso_resident;
	__u32 ppid = prev->pid, npid = next->pid;
	struct iso_state *st;
	__u64 now, run = 0;
	bool ran;

	st = bpf_map_lookup_elem(&iso_state, &zero);
	if (!st)
		return;
	now = bpf_ktime_get_ns();
	/* State of an older epoch (another CPU watched, the part off meanwhile): start afresh. */
	if (st->epoch != epoch || st->r_pid != resident) {
		st->r_out_ns = 0;
		st->r_pid = resident;
	}
	ran = st->epoch == epoch && st->pid == ppid && (__s64)(now - st->in_ns) >= 0;
	if (ran) {
		__u64 cut = cfg->iso_cut, from = st->in_ns;

		run = now - from;
		if (from < cut) {
			/* Straddles the boundary: the part before it is the last interval's. */
			from = cut;
			st->s_cut = cut;
			st->s_in = st->in_ns;
			st->s_pid = ppid;
			st->s_tgid = st->tgid;
			comm_copy(st->s_comm, prev->comm);
		}
		iso_charge(st, prev, now > from ? now - from : 0, run);
	}

	if (resident) {
		if (ppid == resident) {
			st->r_out_ns = now;
			st->r_top_ns = 0;
			st->r_top_pid = npid;
			comm_copy(st->r_top_comm, next->comm);
			st->r_preempted = preempt || prev_state == TASK_RUNNING;
		} else if (st->r_out_ns && ran && run > st->r_top_ns) {
			st->r_top_ns = run;
			st->r_top_pid = ppid;
			comm_copy(st->r_top_comm, prev->comm);
		}
		if (npid == resident && st->r_out_ns) {
			if (now > st->r_out_ns)
				iso_absence(st, next, now - st->r_out_ns);
			st->r_out_ns = 0;
		}
	}

	/* next is the task on the CPU now. */
	st->in_ns = now;
	st->pid = npid;
	st->tgid = next->tgid;
	st->disp_pid = ppid;
	comm_copy(st->comm, next->comm);
	comm_copy(st->disp_comm, prev->comm);
	st->epoch = epoch;
	st->seq += 1;
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

	/* The isolation part: one CPU only. */
	if ((parts & SCHED_PART_ISO) && bpf_get_smp_processor_id() == *(volatile __u32 *)&cfg->iso_cpu)
		iso_switch(cfg, preempt, prev, next, prev_state);
	if (!(parts & (SCHED_PART_OFFCPU | SCHED_PART_RUNQLAT)))
		return 0;

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
				comm_copy(t->by, next->comm);
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
