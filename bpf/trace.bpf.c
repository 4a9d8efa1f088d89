// SPDX-License-Identifier: GPL-2.0
/* trace: count any tracepoint, and a log2 histogram of one numeric field of it, with one
 * program compiled at build time (no compiler on the host).
 *
 * 1. Attachment. `trace_hit` is a SEC("tracepoint") program with no tracepoint of its own: user
 *    space attaches it to each tracepoint the user names (libbpf's tracepoint attach, a perf
 *    event link) with a BPF cookie, the slot of that attachment. bpf_get_attach_cookie() tells
 *    every run which slot it counts for. Before attaching, user space writes the slot's config
 *    (`slots`): where the field to histogram is in the tracepoint's record, as the tracepoint's
 *    tracefs `format` file says (offset, size, signedness), or size 0 for a count only.
 * 2. Filters, in the kernel: -p (targ_tgid, before load), -c (a substring of the task's comm,
 *    before load), -C (the CPU filter word, written before the first attach and live after).
 * 3. Counts and histograms: per generation and slot, in the CPU's own slot of a PERCPU_ARRAY,
 *    cumulative and never cleared. Atomic adds: a run can be preempted (syscall tracepoints may
 *    fault) by another run on the same CPU.
 * 4. Generations. The (pid, comm) counts are in a HASH per generation, as offcpu does: the one
 *    slot of the ARRAY_OF_MAPS `gens` says which of agg0/agg1 the program writes; user space
 *    flips it every tick (the update returns after an RCU grace period, and every run of this
 *    program is inside one RCU read-side section: kernel/trace/bpf_trace.c, trace_call_bpf()),
 *    then reads and empties the old one. The run also picks its counters of 3. by the hash it
 *    got (agg1: the second half of `stats`), so that an interval's count, histogram and task
 *    rows are of the same runs: user space takes the old generation's differences since it last
 *    read that generation. A hit that finds the hash full is counted in the slot's `task_lost`.
 * 5. Cost per slot: the kernel's run statistics are per program, and one program serves every
 *    slot. So one run in TRACE_TIMED_EVERY of each slot (per CPU) times itself with two clock
 *    reads; user space shares the program's measured run time out between the slots in
 *    proportion to runs x mean timed cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "perfscope.bpf.h"
#include "task_filter.bpf.h"
#include "trace.h"
#include <bpf/usdt.bpf.h>
#include "uvalue.bpf.h"

char LICENSE[] SEC("license") = "GPL";


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct trace_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trace_cfg);
} trace_cfg SEC(".maps");

/* By generation and slot: [gen * TRACE_MAX_SLOTS + slot] (see 4.). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * TRACE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct trace_stat);
} stats SEC(".maps");


PERFSCOPE_GENERATIONS(trace_agg, agg0, agg1, gens, struct trace_task_key, __u64, TRACE_MAX_TASKS, 0);

static __always_inline bool watched(void)
{
	__u32 zero = 0;
	struct trace_cfg *c = bpf_map_lookup_elem(&trace_cfg, &zero);

	return c && cpu_watched(*(volatile __u32 *)&c->watch, bpf_get_smp_processor_id());
}

/* The slot's field as a 64-bit value (little-endian: `size` bytes read into a zeroed word), and
 * whether it is below zero (a signed field); false when it cannot be read. */
static __always_inline bool read_field(void *ctx, const struct trace_slot *cfg, __u64 *v, bool *neg)
{
	__u32 size = cfg->field_size, shift;
	__u64 x = 0;

	if (size == 0 || size > 8)
		return false;
	if (bpf_probe_read_kernel(&x, size, ctx + (cfg->field_off & 0xffff)))
		return false;
	shift = 64 - 8 * size;
	*neg = cfg->field_signed && (__s64)(x << shift) < 0;
	*v = x;
	return true;
}

static __always_inline void count_task(void *agg, __u32 slot, __u32 tgid, struct trace_stat *st)
{
	struct trace_task_key key = { .slot = slot, .pid = tgid };

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.cgroup = bpf_get_current_cgroup_id();
	if (hash_count(agg, &key))
		__sync_fetch_and_add(&st->task_lost, 1);
}

/* The task passes -p, -c, -C and --cgroup. */
static __always_inline bool wanted(__u32 tgid)
{
	char comm[TRACE_COMM_LEN];

	if (targ_tgid && tgid != targ_tgid)
		return false;
	if (self_tgid && tgid == self_tgid)
		return false;
	if (!watched())
		return false;
	if (cgroup_filtering() && !cgroup_wanted(bpf_get_current_cgroup_id()))
		return false;
	if (targ_comm_len) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_contains(comm, targ_comm, targ_comm_len))
			return false;
	}
	return true;
}


/* `user` is a constant at each call: the tracepoint program must not contain user_value()'s reads
 * of pt_regs through its context (the kernel refuses to attach a tracepoint program that reads
 * past the tracepoint's record: EACCES). */
static __always_inline void hit(void *ctx, void *agg, __u32 slot, struct trace_stat *st, const bool user)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct trace_slot *cfg;
	__u64 v;
	bool neg, have = false;

	if (!wanted(tgid))
		return;
	cfg = bpf_map_lookup_elem(&slots, &slot);
	if (user && cfg && cfg->mode == TRACE_MODE_LAT) {
		/* A return with no entry seen (attached mid-call) is not a hit: no latency to count. */
		if (!user_value(ctx, slot, cfg, &v, &neg))
			return;
		have = true;
	} else if (cfg && cfg->field_size) {
		have = user ? user_value(ctx, slot, cfg, &v, &neg) : read_field(ctx, cfg, &v, &neg);
	}
	__sync_fetch_and_add(&st->hits, 1);
	if (have) {
		if (neg)
			__sync_fetch_and_add(&st->negative, 1);
		else
			__sync_fetch_and_add(&st->hist[log2_u64(v) & (TRACE_HIST_SLOTS - 1)], 1);
	}
	count_task(agg, slot, tgid, st);
}

static __always_inline int run(void *ctx, __u32 slot, const bool user)
{
	__u32 zero = 0, key;
	struct trace_stat *st;
	__u64 t0 = 0, runs;
	void *agg;

	if (slot >= TRACE_MAX_SLOTS)
		return 0;
	agg = bpf_map_lookup_elem(&gens, &zero);
	if (!agg)
		return 0;
	/* The generation's own counters: everything of one run lands in the same generation. */
	key = (agg == (void *)&agg1 ? TRACE_MAX_SLOTS : 0) + slot;
	st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return 0;
	/* Not atomic: a run preempted here may lose one increment of `runs`, which only weighs the
	 * cost estimate; the counts above are exact. */
	runs = st->runs++;
	if (runs % TRACE_TIMED_EVERY == 0)
		t0 = bpf_ktime_get_ns();
	hit(ctx, agg, slot, st, user);
	if (t0) {
		__sync_fetch_and_add(&st->timed_ns, bpf_ktime_get_ns() - t0);
		__sync_fetch_and_add(&st->timed_runs, 1);
	}
	return 0;
}

SEC("tracepoint")
int trace_hit(void *ctx)
{
	return run(ctx, bpf_get_attach_cookie(ctx), false);
}

/* u: and ur: (attached by user space to each function with the slot as cookie). */
SEC("uprobe")
int trace_uprobe(struct pt_regs *ctx)
{
	return run(ctx, bpf_get_attach_cookie(ctx), true);
}

SEC("uretprobe")
int trace_uretprobe(struct pt_regs *ctx)
{
	return run(ctx, bpf_get_attach_cookie(ctx), true);
}

/* ur:...:lat: the entry of the function, stamped for its return (not a hit). */
static __always_inline int stamp(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!wanted(pid_tgid >> 32))
		return 0;
	uvalue_stamp(ctx, pid_tgid);
	return 0;
}

SEC("uprobe")
int trace_uentry(struct pt_regs *ctx)
{
	return stamp(ctx);
}

/* usdt: (libbpf's USDT attach; the slot is the USDT cookie). */
SEC("usdt")
int trace_usdt(struct pt_regs *ctx)
{
	return run(ctx, bpf_usdt_cookie(ctx), true);
}

/* The same three for wildcards through multi-uprobe links (user space sets their expected attach
 * type to BPF_TRACE_UPROBE_MULTI before load: bpf_get_attach_cookie() is then the function's
 * cookie in the link). */
SEC("uprobe")
int trace_umulti(struct pt_regs *ctx)
{
	return run(ctx, bpf_get_attach_cookie(ctx), true);
}

SEC("uretprobe")
int trace_uretmulti(struct pt_regs *ctx)
{
	return run(ctx, bpf_get_attach_cookie(ctx), true);
}

SEC("uprobe")
int trace_uentrymulti(struct pt_regs *ctx)
{
	return stamp(ctx);
}
