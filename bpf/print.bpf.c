// SPDX-License-Identifier: GPL-2.0
/* print: one line per hit of a tracepoint or a user-space probe (--print), with its time, task
 * and value. The attachments, slots and modes are the trace probe's (bpf/trace.bpf.c, trace.h):
 * user space attaches these programs to each target with its slot as cookie and writes the
 * slot's config first. A record the ring buffer cannot take is counted in `drops` (feed.bpf.h).
 * Filters in the kernel: -p and perfscope itself (feed_skip), --cgroup, the pinned CPU (-C, as the
 * trace probe: a word written before the first attach and live after); -c is the reader's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "perfscope.bpf.h"
#include "feed.bpf.h"
#include "trace.h"
#include "print.h"
#include "uvalue.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* 4 MiB: ~87,000 records */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct trace_slot);
} slots SEC(".maps");

/* One entry: the CPU filter word (PERFSCOPE_WATCH_* in perfscope.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} print_watch SEC(".maps");

static __always_inline bool watched(void)
{
	__u32 zero = 0, *w = bpf_map_lookup_elem(&print_watch, &zero);

	return w && cpu_watched(*(volatile __u32 *)w, bpf_get_smp_processor_id());
}

/* The record's type in the object's BTF (test/probes/layout.test.ts checks PRINT_LAYOUT against it). */
struct print_event *btf_anchor_print_event SEC(".btf_anchor") __attribute__((unused));
struct print_str_event *btf_anchor_print_str_event SEC(".btf_anchor") __attribute__((unused));



/* The tracepoint's field (bpf_probe_read_kernel: the program reads nothing of its context
 * directly, so that any tracepoint accepts it). */
static __always_inline bool read_field(void *ctx, const struct trace_slot *cfg, __u64 *v)
{
	__u32 size = cfg->field_size;
	__u64 x = 0;

	if (size == 0 || size > 8)
		return false;
	if (bpf_probe_read_kernel(&x, size, ctx + (cfg->field_off & 0xffff)))
		return false;
	if (cfg->field_signed && size < 8 && (x >> (8 * size - 1)) & 1)
		x |= ~0ULL << (8 * size); /* sign-extend */
	*v = x;
	return true;
}

/* The slot's string into s->str (bounded: PRINT_STR_LEN + 2 bytes read, so that a string longer
 * than PRINT_STR_LEN is told from one of exactly that length). v is the pointer of the USER, KPTR
 * and UPTR kinds. Returns PRINT_F_STR (| PRINT_F_TRUNC), or 0 when nothing could be read. */
static __always_inline __u32 read_str(void *ctx, const struct trace_slot *cfg, __u64 v, struct print_str_event *s)
{
	__u32 loc = 0, size;
	long n = -1;

	switch (cfg->str) {
	case TRACE_STR_USER:
	case TRACE_STR_UPTR:
		n = bpf_probe_read_user_str(s->str, PRINT_STR_LEN + 2, (void *)v);
		break;
	case TRACE_STR_KPTR:
		n = bpf_probe_read_kernel_str(s->str, PRINT_STR_LEN + 2, (void *)v);
		break;
	case TRACE_STR_ARRAY:
		size = cfg->field_size;
		if (size > PRINT_STR_LEN + 2)
			size = PRINT_STR_LEN + 2;
		n = bpf_probe_read_kernel_str(s->str, size, ctx + (cfg->field_off & 0xffff));
		break;
	case TRACE_STR_LOC:
		if (bpf_probe_read_kernel(&loc, sizeof(loc), ctx + (cfg->field_off & 0xffff)))
			return 0;
		n = bpf_probe_read_kernel_str(s->str, PRINT_STR_LEN + 2, ctx + (loc & 0xffff));
		break;
	}
	if (n <= 0)
		return 0;
	if (n >= PRINT_STR_LEN + 2) {
		s->str[PRINT_STR_LEN] = 0;
		s->str_len = PRINT_STR_LEN;
		return PRINT_F_STR | PRINT_F_TRUNC;
	}
	s->str_len = n - 1;
	return PRINT_F_STR;
}

static __always_inline void fill(struct print_event *e, __u32 slot, __u32 flags, __u64 v)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->slot = slot;
	e->flags = flags;
	e->value = v;
	e->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* `user` is a constant at each call (see bpf/trace.bpf.c's hit()). */
static __always_inline int emit(void *ctx, __u32 slot, const bool user)
{
	struct trace_slot *cfg;
	struct print_event *e;
	struct print_str_event *s;
	__u64 v = 0;
	bool have = false, neg; /* the sign is the line's reader's: print records the raw value */

	if (slot >= TRACE_MAX_SLOTS || feed_skip() || !watched())
		return 0;
	cfg = bpf_map_lookup_elem(&slots, &slot);
	if (!cfg)
		return 0;
	if (user && cfg->mode == TRACE_MODE_LAT) {
		if (!user_value(ctx, slot, cfg, &v, &neg))
			return 0; /* a return with no entry seen: no latency to print */
		have = true;
	} else if (cfg->field_size) {
		have = user ? user_value(ctx, slot, cfg, &v, &neg) : read_field(ctx, cfg, &v);
	}
	if (cfg->str) {
		/* A string: its own, larger record (the others stay small). No number: the value is the string. */
		s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);
		if (!s) {
			feed_drop();
			return 0;
		}
		s->str_len = 0;
		s->pad = 0;
		s->str[0] = 0;
		if (have || cfg->str == TRACE_STR_ARRAY || cfg->str == TRACE_STR_LOC)
			fill(&s->e, slot, read_str(ctx, cfg, v, s), 0);
		else
			fill(&s->e, slot, 0, 0);
		bpf_ringbuf_submit(s, feed_wakeup(&events));
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		feed_drop();
		return 0;
	}
	fill(e, slot, (have ? PRINT_F_VALUE : 0) | (cfg->field_signed ? PRINT_F_SIGNED : 0), v);
	bpf_ringbuf_submit(e, feed_wakeup(&events));
	return 0;
}

SEC("tracepoint")
int print_tp(void *ctx)
{
	return emit(ctx, bpf_get_attach_cookie(ctx), false);
}

SEC("uprobe")
int print_uprobe(struct pt_regs *ctx)
{
	return emit(ctx, bpf_get_attach_cookie(ctx), true);
}

SEC("uretprobe")
int print_uretprobe(struct pt_regs *ctx)
{
	return emit(ctx, bpf_get_attach_cookie(ctx), true);
}

/* ur:...:lat: the entry, stamped for the return (not a line). */
SEC("uprobe")
int print_uentry(struct pt_regs *ctx)
{
	if (feed_skip() || !watched())
		return 0;
	uvalue_stamp(ctx, bpf_get_current_pid_tgid());
	return 0;
}

SEC("usdt")
int print_usdt(struct pt_regs *ctx)
{
	return emit(ctx, bpf_usdt_cookie(ctx), true);
}
