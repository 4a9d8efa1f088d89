/* runqlat: the run-queue probe's kernel side, a part of the scheduler object: bpf/sched.bpf.c
 * includes this once (it defines the part's map), and its sched_switch program calls
 * runqlat_depart(). Kernel only; the user side is src/probes/runqlat.ts.
 *
 * Run-queue part (layouts: bpf/runqlat.h): log2 histograms of how long runnable tasks waited for a CPU,
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
#ifndef PERFSCOPE_RUNQLAT_BPF_H
#define PERFSCOPE_RUNQLAT_BPF_H

#include "perfscope.bpf.h"
#include "sched.h"
#include "runqlat.h"
#include "containers.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

/* The task `prev` leaves this CPU: count the wait its run began with (see the top). */
/* `parts`: the parts that count this wait (SCHED_PART_RUNQLAT: the per-CPU histogram,
 * SCHED_PART_CGROUP: the row of `cg`, the task's cgroup; none while --cgroup leaves it out). */
static __always_inline void runqlat_depart(struct sched_cfg *cfg, struct sched_task *t,
					   struct task_struct *prev, __u32 parts, __u64 cg)
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
		if ((parts & SCHED_PART_CGROUP) && (__s64)wait >= 0)
			cgroup_wait(cg, wait);
		h = (parts & SCHED_PART_RUNQLAT) ? bpf_map_lookup_elem(&hists, &zero) : 0;
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

#endif
