/* Kernel-side helpers shared by the event feeds (exec, open, tcp). Never included by user space.
 *
 * Every feed has a ring buffer `events` (defined by its .bpf.c, sized for its event) and the
 * per-CPU cumulative counter `drops` defined here: when bpf_ringbuf_reserve/output fails the
 * event is counted, never silently lost. User space sums the CPUs and takes differences.
 */
#ifndef PERFSCOPE_FEED_BPF_H
#define PERFSCOPE_FEED_BPF_H

#include <bpf/bpf_helpers.h>
#include "cgroup_filter.bpf.h"

/* Only this process (tgid), 0 = every process. Set by user space before load. */
const volatile __u32 targ_tgid = 0;
/* perfscope's own process, left out of the feeds; 0 = none (--include-self). Set before load. */
const volatile __u32 self_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Events per cgroup (cumulative, never cleared: user space takes differences), for the
 * containers probe's exec/open/connect rates: every event that passed the filters, also one the
 * ring buffer could not take. A cgroup that finds the hash full is counted in cg_events_lost. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FEED_CGROUPS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} cg_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cg_events_lost SEC(".maps");

static __always_inline void feed_count_cgroup(__u64 cg)
{
	__u64 one = 1, *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cg_events, &cg);
	if (c) {
		__sync_fetch_and_add(c, 1);
		return;
	}
	if (!bpf_map_update_elem(&cg_events, &cg, &one, BPF_NOEXIST))
		return;
	c = bpf_map_lookup_elem(&cg_events, &cg); /* another CPU made it meanwhile */
	if (c) {
		__sync_fetch_and_add(c, 1);
		return;
	}
	c = bpf_map_lookup_elem(&cg_events_lost, &zero);
	if (c)
		__sync_fetch_and_add(c, 1);
}

/* True when the current task is filtered out by targ_tgid or --cgroup, or is perfscope's own. */
static __always_inline bool feed_skip(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 cg;

	if ((targ_tgid && tgid != targ_tgid) || (self_tgid && tgid == self_tgid))
		return true;
	if (!cgroup_filtering())
		return false;
	cg = bpf_get_current_cgroup_id();
	return !bpf_map_lookup_elem(&cg_allow, &cg);
}

#ifndef TS_COMPAT
#define TS_COMPAT 0x0002 /* x86 thread_info.status: the current syscall is a 32-bit one */
#endif

/* True for a 64-bit (native) syscall: ia32 syscalls have other numbers (11 is execve there,
 * munmap here), so the sys_enter/sys_exit programs skip them. */
static __always_inline bool feed_native_syscall(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return !(t->thread_info.status & TS_COMPAT);
}

/* One event could not be queued. Atomic: a trampoline program runs with migration disabled but
 * may be preempted by another task's run of a program of the same object on this CPU. */
static __always_inline void feed_drop(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&drops, &zero);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/* Wake-up policy for bpf_ringbuf_submit on busy feeds (open, tcp). The default (adaptive)
 * policy wakes the reader whenever it has caught up; a wake-up is an irq_work, i.e. a self-IPI
 * (a VM exit on a guest), and in an event storm with a quick reader that is one per event:
 * measured on this host it made an open event cost ~1.5 us instead of ~0.3 us. FORCE_WAKEUP
 * above a threshold is no better (the irq_work runs at once, so the next event raises it again).
 *
 * So: wake the reader only when FEED_WAKEUP_BYTES are waiting AND it has consumed something
 * since the last wake-up this object sent (a reader that was woken and has not run yet needs
 * no second one). At most one wake-up per batch the reader takes. feed_woken holds the
 * consumer position of the last wake-up, plus 1 (0: none yet); CPUs race on it harmlessly
 * (at worst two wake-ups). A quiet feed below the threshold is not woken at all: user space
 * also consumes at every sample() (each interval) and drain() (the screen's ~10 Hz flush),
 * which is how its events arrive, in order and in the right interval. */
#define FEED_WAKEUP_BYTES (64 * 1024)

__u64 feed_woken = 0;

static __always_inline __u64 feed_wakeup(void *ringbuf)
{
	__u64 cons;

	if (bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) < FEED_WAKEUP_BYTES)
		return BPF_RB_NO_WAKEUP;
	cons = bpf_ringbuf_query(ringbuf, BPF_RB_CONS_POS) + 1;
	if (cons == feed_woken)
		return BPF_RB_NO_WAKEUP;
	feed_woken = cons;
	return BPF_RB_FORCE_WAKEUP;
}

#endif
