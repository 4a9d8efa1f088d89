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
 * Each part is in the header named after its probe: its maps, its helpers and its work at a
 * switch (static __always_inline, called from the one program below).
 *   Off-CPU part:   bpf/offcpu.bpf.h    (layouts: bpf/offcpu.h)
 *   Run-queue part: bpf/runqlat.bpf.h   (layouts: bpf/runqlat.h)
 *   Isolation part: bpf/isolation.bpf.h (layouts: bpf/isolation.h)
 *   Top part:       bpf/top.bpf.h       (layouts: bpf/top.h): on-CPU time per process, the proc probe's top table
 *   Containers part: bpf/containers.bpf.h (layouts: bpf/containers.h): per cgroup, the run-queue
 *                   and off-CPU parts' figures (called from their work)
 * Here is what they share: the config word and the task storage (layouts: bpf/sched.h), the RCU
 * barrier, and the sched_switch program that calls the work of each part that is on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "sched.h"
#include "cgroup_filter.bpf.h"

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

/* The parts. Included here, after the shared maps, so that the object keeps its maps in the
 * order it always had (shared, off-CPU, run-queue, isolation), the containers part's first (the
 * off-CPU and run-queue parts call it). */
#include "containers.bpf.h"
#include "offcpu.bpf.h"
#include "runqlat.bpf.h"
#include "isolation.bpf.h"
#include "top.bpf.h"

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct sched_cfg *cfg;
	struct sched_task *t;
	__u32 zero = 0, parts, rq_parts;
	__u64 now = 0, cg = 0;
	bool filtering, track;

	cfg = bpf_map_lookup_elem(&sched_cfg, &zero);
	if (!cfg)
		return 0;
	parts = *(volatile __u32 *)&cfg->parts;
	if (!parts)
		return 0;
	if (parts & (SCHED_PART_OFFCPU | SCHED_PART_CGROUP))
		now = bpf_ktime_get_ns();

	/* The isolation part: one CPU only. */
	if ((parts & SCHED_PART_ISO) && bpf_get_smp_processor_id() == *(volatile __u32 *)&cfg->iso_cpu)
		iso_switch(cfg, preempt, prev, next, prev_state);
	/* The top table's part (every CPU, every task: the host's table, --cgroup and -p excepted, as the /proc counters). */
	if (parts & SCHED_PART_TOP)
		top_switch(cfg, prev, next);
	if (!(parts & (SCHED_PART_OFFCPU | SCHED_PART_RUNQLAT | SCHED_PART_CGROUP)))
		return 0;

	/* The task that leaves is `current` at this tracepoint: its cgroup is the helper's, read only
	 * when the containers part or --cgroup needs it (else an off-CPU row reads its task's cgroup
	 * when it is made: once per row, not per switch). Kept in its task storage for its return,
	 * and it says whether --cgroup wants its run-queue wait. */
	filtering = cgroup_filtering();
	track = filtering || (parts & SCHED_PART_CGROUP);
	if (track)
		cg = bpf_get_current_cgroup_id();
	rq_parts = filtering && !bpf_map_lookup_elem(&cg_allow, &cg) ? 0 : parts;

	/* The task that leaves: its off-CPU stamp, its run-queue figures. Idle tasks never wait,
	 * but their absences are off-CPU rows of their own. */
	t = bpf_task_storage_get(&tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t) {
		if (track)
			t->cgroup = cg;
		if (parts & (SCHED_PART_OFFCPU | SCHED_PART_CGROUP))
			offcpu_depart(cfg, t, preempt, next, prev_state, now);
		if ((parts & (SCHED_PART_RUNQLAT | SCHED_PART_CGROUP)) && prev->pid)
			runqlat_depart(cfg, t, prev, rq_parts, cg);
	}

	/* The task that comes back. */
	if (parts & (SCHED_PART_OFFCPU | SCHED_PART_CGROUP)) {
		t = bpf_task_storage_get(&tasks, next, 0, 0);
		if (t)
			offcpu_return(cfg, t, next, now, parts, filtering, track);
	}
	return 0;
}
