/* The -p and -c filters of an object and its self filter, set before load (setTaskFilter() in
 * src/probes/bpf-probe.ts): a process id, and a text the task's comm must contain. Included once
 * by each object that has them (it defines their read-only globals). */
#ifndef PERFSCOPE_TASK_FILTER_BPF_H
#define PERFSCOPE_TASK_FILTER_BPF_H

#include "perfscope.bpf.h"
#include "cgroup_filter.bpf.h"

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_comm_len = 0; /* 0: no comm filter; else 1..15 (16: matches none) */
const volatile char targ_comm[16] = {};
/* perfscope's own process, left out (--include-self keeps it: 0). */
const volatile __u32 self_tgid = 0;

/* Does the current task, of process `tgid` named `comm`, pass the filters (--cgroup included)? */
static __always_inline bool task_wanted(__u32 tgid, const char *comm)
{
	if (targ_tgid && tgid != targ_tgid)
		return false;
	if (self_tgid && tgid == self_tgid)
		return false;
	if (!cgroup_wanted(bpf_get_current_cgroup_id()))
		return false;
	return comm_contains(comm, targ_comm, targ_comm_len);
}

#endif
