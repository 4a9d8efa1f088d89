// SPDX-License-Identifier: GPL-2.0
/* runqlat: how long runnable tasks waited for a CPU, as log2 microsecond histograms per CPU.
 *
 * A wait starts when a task becomes runnable (sched_wakeup, sched_wakeup_new) or is switched out
 * while still runnable (preempted), and ends when sched_switch puts it on a CPU. The wait is
 * counted on that CPU's own slot of a per-CPU array, so no atomics are needed and nothing is ever
 * cleared: user space reads the cumulative counts once per tick and takes differences, so no
 * event between two reads is lost. The start time lives in task-local storage: no hash to fill
 * up, nothing left behind when a task exits.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "runqlat.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

static __always_inline void enqueue(struct task_struct *p)
{
	__u64 *ts;

	if (!BPF_CORE_READ(p, pid)) /* idle tasks never wait */
		return;
	ts = bpf_task_storage_get(&start, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ps_rq_wakeup, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ps_rq_wakeup_new, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_rq_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct runqlat_hist *h;
	__u32 zero = 0, slot;
	__u64 *ts, delta;

	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev);

	ts = bpf_task_storage_get(&start, next, 0, 0);
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	if ((__s64)delta < 0)
		return 0;
	h = bpf_map_lookup_elem(&hists, &zero);
	if (!h)
		return 0;
	slot = log2_u64(delta / 1000);
	if (slot >= RUNQLAT_MAX_SLOTS)
		slot = RUNQLAT_MAX_SLOTS - 1;
	h->slots[slot]++;
	h->total_ns += delta;
	return 0;
}
