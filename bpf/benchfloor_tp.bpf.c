// SPDX-License-Identifier: GPL-2.0
/* The bench's floor for the trace probe: an empty program on the classic tracepoint
 * sched:sched_switch (a perf event link, as the trace probe's and bpftrace's programs are), so
 * that the generic counter's cost per event is shown beside what any program on that hook costs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/sched/sched_switch")
int floor_tp(void *ctx)
{
	return 0;
}
