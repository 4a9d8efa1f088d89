/* The --cgroup filter of an object: included once by each object that has it (it defines the
 * two maps). User space (src/probes/cgroup/kernel-filter.ts) fills `cg_allow` with the ids of
 * every cgroup of the wanted subtrees (the v2 id the kernel gives as bpf_get_current_cgroup_id(),
 * the cgroup directory's inode number) and then sets the one word of `cg_filter_on`; both are
 * maps, so the filter changes live, without a reload. With the word 0 (the default) every task
 * passes, for the price of one inlined array load. Kernel only. */
#ifndef PERFSCOPE_CGROUP_FILTER_BPF_H
#define PERFSCOPE_CGROUP_FILTER_BPF_H

#include <bpf/bpf_helpers.h>
#include "cgroup.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cg_filter_on SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGROUP_FILTER_MAX);
	__type(key, __u64);
	__type(value, __u8);
} cg_allow SEC(".maps");

/* Is the filter on? */
static __always_inline bool cgroup_filtering(void)
{
	__u32 zero = 0, *on = bpf_map_lookup_elem(&cg_filter_on, &zero);

	return on && *(volatile __u32 *)on;
}

/* Does a task of cgroup `id` pass the filter? */
static __always_inline bool cgroup_wanted(__u64 id)
{
	if (!cgroup_filtering())
		return true;
	return bpf_map_lookup_elem(&cg_allow, &id) != NULL;
}

#endif
