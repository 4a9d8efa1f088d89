/* stacks: shared between the stack-collecting objects (bpf/profile.bpf.c, bpf/offstacks.bpf.c)
 * and src/stacks/ (decoding). Data only; every layout is mirrored in src/stacks/layout.ts and
 * checked against BTF by test/probes/layout.test.ts. */
#ifndef PERFSCOPE_STACKS_H
#define PERFSCOPE_STACKS_H

#define STACK_COMM_LEN 16
#define STACK_KDEPTH 40      /* kernel frames kept; a stack this deep is marked truncated */
#define STACK_UDEPTH 96      /* user frames kept; the same */
#define STACK_MAX_ROWS 16384 /* distinct (task, stacks) rows per generation */
#define STACK_MAX_PROCS 8192 /* address spaces announced to user space (see `seen`) */

/* Key of the per-generation aggregation hashes: a task and the whole of its two stacks, so two
 * different stacks never share a row (no stack-id map whose collisions would merge or drop
 * them). Frames are instruction addresses, leaf first; unused frames are zero (bpf_get_stack
 * zeroes the tail of its buffer). */
struct stack_key {
	__u32 pid;      /* thread id (off-CPU stacks); 0 in profile rows, which are per process */
	__u32 tgid;
	__u32 mmid;     /* which address space the user frames belong to (stack_mmid()); 0: none */
	__u16 kframes;  /* frames in kstack */
	__u16 uframes;  /* frames in ustack */
	char comm[STACK_COMM_LEN];
	__u64 cgroup;   /* the task's v2 cgroup id */
	__u64 kstack[STACK_KDEPTH];
	__u64 ustack[STACK_UDEPTH];
};

/* The user stack copied for unwinding in user space (src/stacks/unwind: call-frame information,
 * else frame pointers): at most this many bytes from the user stack pointer up. */
#define STACK_COPY_PROFILE 8192
#define STACK_COPY_OFFCPU 4096
#define STACK_SAMPLE_RING (8 << 20) /* bytes of the ring buffer `samples` */

/* Record of the ring buffer `samples`: one sample (profile) or one absence (off-CPU stacks)
 * whose user stack is to be unwound in user space: the key's kernel part (its ustack unused,
 * uframes 0), the user registers and the copy of the stack, `stack_len` bytes of `stack[]`
 * (the record holds STACK_COPY_* bytes). A sample whose record does not fit in the ring is
 * counted in the hash by frame pointers instead (`fp_rows`). */
struct stack_sample {
	struct stack_key key;
	__u64 delta_ns;   /* off-CPU stacks: the absence; profile: 0 */
	__u32 preempted;  /* off-CPU stacks: it began with an involuntary switch-out */
	__u32 gen;        /* the generation it belongs to (see bpf/profile.bpf.c, 4.) */
	char by[STACK_COMM_LEN]; /* off-CPU stacks: the preemptor */
	__u64 ip, sp, bp; /* user registers (0: none) */
	__u32 stack_len;  /* bytes of stack[] copied from sp up (0: none could be read) */
	__u32 _pad;
	__u8 stack[];
};

/* Record of the ring buffer `procs`: an address space user space has not been told of yet, so
 * it reads /proc/TGID/maps while the process still lives (its frames resolve after it exits). */
struct stack_proc {
	__u32 tgid;
	__u32 mmid;
};

#endif
