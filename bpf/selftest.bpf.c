// SPDX-License-Identifier: GPL-2.0
/* selftest: exercises every part of the native binding with one tiny program: a `const volatile`
 * filter set before load, an array map written from user space, a hash map the program fills,
 * a ring buffer, and a per-CPU drop counter; plus one program the verifier rejects (autoload
 * off: the tests turn it on to check load errors). Used by test/native/binding.test.ts only. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "selftest.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0;
const volatile __u32 magic = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} enabled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __u64 seq;

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_st_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, tgid = next->tgid, pid = next->pid;
	__u32 *on = bpf_map_lookup_elem(&enabled, &zero);
	struct selftest_event *e;
	__u64 one = 1, *cnt;

	if (!on || !*on || !targ_tgid || tgid != targ_tgid)
		return 0;
	cnt = bpf_map_lookup_elem(&seen, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&seen, &pid, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			(*d)++;
		return 0;
	}
	e->pid = pid;
	e->cpu = bpf_get_smp_processor_id();
	e->seq = __sync_fetch_and_add(&seq, 1);
	e->magic = magic;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Rejected by the verifier: dereferences a hash lookup's result without the NULL check (a hash,
 * as the verifier knows an array lookup of a constant in-range key cannot fail). The '?' turns
 * autoload off by default; only the load-error tests turn it on. */
SEC("?tp_btf/sched_switch")
int BPF_PROG(ps_st_reject)
{
	__u32 zero = 0;
	__u64 *cnt = bpf_map_lookup_elem(&seen, &zero);

	return *cnt;
}

/* On a hook no kernel has: its load fails, and BpfObject.missingTpBtf() names the hook (the way
 * a probe on a kernel without one of its tracepoints reports itself unavailable). Autoload off
 * by default, like ps_st_reject. */
SEC("?tp_btf/perfscope_no_such_tracepoint")
int BPF_PROG(ps_st_nohook)
{
	return 0;
}
