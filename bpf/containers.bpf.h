/* containers: the containers probe's kernel side, a part of the scheduler object
 * (SCHED_PART_CGROUP): bpf/sched.bpf.c includes this once (it defines the part's maps), and its
 * sched_switch program calls cgroup_wait() from the run-queue work (the wait a run began with,
 * measured as bpf/runqlat.bpf.h says) and cgroup_off() from the off-CPU work (an absence that
 * ends). Kernel only; the user side is src/probes/containers.ts.
 *
 * One row per v2 cgroup id (the cgroup of the task that waited, bpf_get_current_cgroup_id() of
 * the task that leaves, kept in its task storage for its return): a log2 histogram of its tasks'
 * run-queue waits (`cg_rq`, cumulative: user space takes differences) and the longest off-CPU
 * time that ended in the interval with the thread that had it (`cg_off`, keyed by cgroup and
 * generation, sched_cfg.cg_gen: user space flips it each interval, waits for an RCU grace period
 * and then reads and deletes the old generation's rows, which nothing writes any more). The
 * rows are not per CPU: a cgroup's tasks run on every CPU, and 4,096 rows x CPUs would not be
 * bounded by the host's size. */
#ifndef PERFSCOPE_CONTAINERS_BPF_H
#define PERFSCOPE_CONTAINERS_BPF_H

#include "perfscope.bpf.h"
#include "sched.h"
#include "containers.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CONTAINERS_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct cgroup_rq);
} cg_rq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * CONTAINERS_MAX_CGROUPS);
	__type(key, struct cgroup_off_key);
	__type(value, struct cgroup_off);
} cg_off SEC(".maps");

/* Events of a cgroup that had no row and could not get one (the hash is full): cumulative. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cg_overflow SEC(".maps");

static __always_inline void cgroup_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&cg_overflow, &zero);

	if (n)
		*n += 1; /* this CPU's own slot */
}

static __always_inline struct cgroup_rq *cgroup_row(__u64 cg)
{
	static const struct cgroup_rq zero_row = {};
	struct cgroup_rq *r;

	r = bpf_map_lookup_elem(&cg_rq, &cg);
	if (r)
		return r;
	/* Another CPU may make it meanwhile (-EEXIST): the lookup below finds that one. */
	bpf_map_update_elem(&cg_rq, &cg, &zero_row, BPF_NOEXIST);
	r = bpf_map_lookup_elem(&cg_rq, &cg);
	if (!r)
		cgroup_lost();
	return r;
}

/* A task of cgroup `cg` waited `wait` ns on a run queue before the run that ends now. */
static __always_inline void cgroup_wait(__u64 cg, __u64 wait)
{
	struct cgroup_rq *r = cgroup_row(cg);
	__u32 slot;

	if (!r)
		return;
	slot = log2_u64(wait / 1000);
	if (slot >= CONTAINERS_MAX_SLOTS)
		slot = CONTAINERS_MAX_SLOTS - 1;
	__sync_fetch_and_add(&r->slots[slot], 1);
	__sync_fetch_and_add(&r->total_ns, wait);
}

/* The task `next`, of cgroup `cg`, comes back after `delta` ns off the CPU. */
static __always_inline void cgroup_off(struct sched_cfg *cfg, __u64 cg, struct task_struct *next, __u64 delta)
{
	struct cgroup_off_key key = { .cgroup = cg, .gen = *(volatile __u32 *)&cfg->cg_gen & 1 };
	struct cgroup_off *o, nv = {};
	long err;

	o = bpf_map_lookup_elem(&cg_off, &key);
	if (o) {
		if (delta > o->max_ns) {
			o->max_ns = delta;
			o->pid = next->pid;
			comm_copy(o->comm, next->comm);
		}
		return;
	}
	nv.max_ns = delta;
	nv.pid = next->pid;
	comm_copy(nv.comm, next->comm);
	err = bpf_map_update_elem(&cg_off, &key, &nv, BPF_NOEXIST);
	if (err && err != -EEXIST) /* full; -EEXIST: another CPU made the row first (this maximum is not kept) */
		cgroup_lost();
}

#endif
