/* selftest: a minimal object used only by the binding's tests (test/native/). Data only. */
#ifndef PERFSCOPE_SELFTEST_H
#define PERFSCOPE_SELFTEST_H

struct selftest_event {
	__u32 pid;
	__u32 cpu;
	__u64 seq;
	__u32 magic;
	__u32 pad;
};

#endif
