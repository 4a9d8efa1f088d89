// SPDX-License-Identifier: GPL-2.0
/* The floor for `npm run bench`: the cheapest program that can sit where perfscope's probes sit.
 * It is attached to tp_btf/sched_switch and returns at once, so its run_time_ns / run_cnt is what
 * the kernel charges any tp_btf program on that hook (trampoline-free raw tracepoint dispatch,
 * the JIT'd prologue and epilogue, and the run-statistics bookkeeping itself). Each probe's
 * cost per event is reported as a multiple of this. Loaded only by the bench, never by perfscope.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(ps_bench_floor)
{
	return 0;
}

/* The same empty program on the raw tracepoint (untyped arguments: reading a task field there
 * takes a probe-read helper call, where tp_btf loads it directly). Loaded only by the bench's
 * raw_tp floor subject, to measure the two hooks' fixed costs side by side. */
SEC("raw_tp/sched_switch")
int ps_bench_floor_raw(void *ctx)
{
	return 0;
}
