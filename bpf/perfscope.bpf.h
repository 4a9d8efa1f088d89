/* Kernel-side helpers shared by perfscope's BPF programs (never included by user space). */
#ifndef PERFSCOPE_BPF_H
#define PERFSCOPE_BPF_H

#include <bpf/bpf_core_read.h>

#ifndef TASK_RUNNING
#define TASK_RUNNING 0
#endif

/* Kernels before 5.14 call the field `state`, newer ones `__state`. */
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

/* A live CPU filter: one aligned 32-bit word user space writes into a config map (never seen
 * half written), read at every event. PERFSCOPE_WATCH_ALL: every CPU; PERFSCOPE_WATCH_CPU0 + n:
 * only CPU n (src/probes/cpus.ts watchWord() writes it). */
#define PERFSCOPE_WATCH_ALL  1
#define PERFSCOPE_WATCH_CPU0 2

static __always_inline bool cpu_watched(__u32 w, __u32 cpu)
{
	return w == PERFSCOPE_WATCH_ALL || w - PERFSCOPE_WATCH_CPU0 == cpu;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;
	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Does the task's comm (16 bytes, NUL-terminated) contain pat (len bytes, 1..15)? len 0: no
 * filter. pat is a `const volatile` rodata array set before load (-c). */
static __always_inline bool comm_contains(const char *comm, const volatile char *pat, __u32 len)
{
	if (!len)
		return true;
	for (__u32 i = 0; i < 16; i++) {
		bool same = true;

		if (i + len > 15)
			return false;
		for (__u32 j = 0; j < 15; j++) {
			if (j >= len)
				break;
			if (comm[(i + j) & 15] != pat[j]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}

#ifndef EEXIST
#define EEXIST 17
#endif

/* Copy a task's comm (16 bytes) with two plain loads, through a BTF pointer. */
static __always_inline void comm_copy(char *dst, const char *src)
{
	((__u64 *)dst)[0] = ((const __u64 *)src)[0];
	((__u64 *)dst)[1] = ((const __u64 *)src)[1];
}

/* Add one to the u64 count of `key` in a HASH several CPUs may update: the row is made when it
 * is not there (another CPU may make it meanwhile: then add to that one). Returns 0, or the
 * error of a row that could not be made (-E2BIG: the hash is full). */
static __always_inline long hash_count(void *map, const void *key)
{
	__u64 one = 1, *c;
	long err;

	c = bpf_map_lookup_elem(map, key);
	if (c) {
		__sync_fetch_and_add(c, 1);
		return 0;
	}
	err = bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		c = bpf_map_lookup_elem(map, key);
		if (c) {
			__sync_fetch_and_add(c, 1);
			return 0;
		}
	}
	return err;
}

/* Two generations of a HASH, `g0` and `g1` (of type struct `agg_t`), and `slot`, the one-slot
 * ARRAY_OF_MAPS that says which of them the programs write (g0 at load). User space flips it
 * each interval and reads the one left (src/bpf/generations.ts: the flip returns after an
 * RCU grace period, and every run looks the slot up and writes inside one RCU read-side
 * section). A program tells which one it got by comparing the pointer with &g1. */
#define PERFSCOPE_GENERATIONS(agg_t, g0, g1, slot, K, V, N, FLAGS)		\
	struct agg_t {								\
		__uint(type, BPF_MAP_TYPE_HASH);				\
		__uint(max_entries, N);						\
		__uint(map_flags, FLAGS);					\
		__type(key, K);							\
		__type(value, V);						\
	};									\
	struct agg_t g0 SEC(".maps");						\
	struct agg_t g1 SEC(".maps");						\
	struct {								\
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);			\
		__uint(max_entries, 1);						\
		__type(key, __u32);						\
		__array(values, struct agg_t);					\
	} slot SEC(".maps") = {							\
		.values = { &g0 },						\
	}

#endif
