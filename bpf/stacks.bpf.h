/* Kernel-side pieces shared by the stack-collecting objects (bpf/profile.bpf.c,
 * bpf/offstacks.bpf.c). Each includes it once and gets its own maps of these names. */
#ifndef PERFSCOPE_STACKS_BPF_H
#define PERFSCOPE_STACKS_BPF_H

#include "stacks.h"

/* Address spaces announced through `procs`: tgid -> mmid. A full hash announces again (user
 * space keeps what it already read); user space deletes the entries of processes that exited. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STACK_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} procs SEC(".maps");

/* Samples whose user stack is unwound in user space (struct stack_sample). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, STACK_SAMPLE_RING);
} samples SEC(".maps");

struct stack_sample *btf_anchor_stack_sample SEC(".btf_anchor") __attribute__((unused));

/* Copy the top of a user stack: `max` bytes from sp up, else the largest of max/2 .. 256 that
 * can be read (bpf_probe_read_user is all or nothing: the main thread's stack may end less
 * than `max` bytes above sp). Returns the bytes copied, 0 if none. */
#define STACK_COPY_LADDER(dst, max, sp)                                                     \
	({                                                                                   \
		__u32 _got = 0;                                                              \
		if (!bpf_probe_read_user(dst, max, (void *)(sp)))                            \
			_got = max;                                                          \
		else if (!bpf_probe_read_user(dst, (max) / 2, (void *)(sp)))                 \
			_got = (max) / 2;                                                    \
		else if (!bpf_probe_read_user(dst, (max) / 4, (void *)(sp)))                 \
			_got = (max) / 4;                                                    \
		else if (!bpf_probe_read_user(dst, (max) / 8, (void *)(sp)))                 \
			_got = (max) / 8;                                                    \
		else if (!bpf_probe_read_user(dst, 256, (void *)(sp)))                       \
			_got = 256;                                                          \
		_got;                                                                        \
	})

/* The announcement record is only used through a local pointer: without this its struct would not
 * be in the object's BTF (test/probes/layout.test.ts reads it). libbpf skips the section. */
struct stack_proc *btf_anchor_stack_proc SEC(".btf_anchor") __attribute__((unused));

/* A key is built here, not on the 512-byte BPF stack; one per CPU. A program of one object
 * never nests on a CPU (a perf event program runs in NMI context but not inside itself; a
 * sched_switch program runs with the run queue locked). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_key);
} scratch SEC(".maps");

/* The identity of a task's address space: its mm_struct's address folded to 32 bits (a new one
 * after every exec); 0 for kernel threads. */
static __always_inline __u32 stack_mmid(struct task_struct *t)
{
	__u64 mm = (__u64)BPF_CORE_READ(t, mm);

	if (!mm)
		return 0;
	mm = (__u32)mm ^ (__u32)(mm >> 32);
	return mm ? (__u32)mm : 1;
}

/* Tell user space of an address space it has not seen; returns false if the record was lost. */
static __always_inline bool stack_announce(__u32 tgid, __u32 mmid)
{
	struct stack_proc *r;
	__u32 *known;

	known = bpf_map_lookup_elem(&seen, &tgid);
	if (known && *known == mmid)
		return true;
	/* Fails only when the hash is full: then announce anyway. */
	bpf_map_update_elem(&seen, &tgid, &mmid, BPF_ANY);
	r = bpf_ringbuf_reserve(&procs, sizeof(*r), 0);
	if (!r)
		return false;
	r->tgid = tgid;
	r->mmid = mmid;
	bpf_ringbuf_submit(r, 0);
	return true;
}

#endif
