/* isolation: the isolation probe's kernel side, a part of the scheduler object: bpf/sched.bpf.c
 * includes this once (it defines the part's maps), and its sched_switch program calls
 * iso_switch() on the watched CPU. Kernel only; the user side is src/probes/isolation.ts.
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
 * reads. Generations as for off-CPU (bpf/offcpu.bpf.h, 4.). Only the watched CPU writes: plain
 * read-modify-writes.
 */
#ifndef PERFSCOPE_ISOLATION_BPF_H
#define PERFSCOPE_ISOLATION_BPF_H

#include "perfscope.bpf.h"
#include "sched.h"
#include "isolation.h"

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
	nv.cgroup = bpf_get_current_cgroup_id(); /* prev is current at sched_switch */
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
		nv.cgroup = BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id); /* next is not current */
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

#endif
