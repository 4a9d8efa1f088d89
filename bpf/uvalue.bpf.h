/* The values of the user-space probes (uprobes, uretprobes, USDT; TRACE_MODE_*), shared by the
 * trace object (counts and histograms) and the print object (one line per hit): the entry times
 * of the calls in flight for TRACE_MODE_LAT, their stamp, and a probe's value. Each object that
 * includes it has its own `starts` map. Needs vmlinux.h, bpf_tracing.h, usdt.bpf.h and trace.h. */
#ifndef PERFSCOPE_UVALUE_BPF_H
#define PERFSCOPE_UVALUE_BPF_H

/* Entry times of the calls in flight, for TRACE_MODE_LAT (LRU: a call whose return is never seen,
 * a thread that exits inside it, leaves an entry that ages out). */
struct start_key {
	__u64 pid_tgid;
	__u32 slot;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TRACE_MAX_STARTS);
	__type(key, struct start_key);
	__type(value, __u64);
} starts SEC(".maps");

/* ur:...:lat: the entry of a call, stamped for its return (the caller has filtered it). */
static __always_inline void uvalue_stamp(struct pt_regs *ctx, __u64 pid_tgid)
{
	struct start_key sk = {};
	__u64 now;

	sk.pid_tgid = pid_tgid;
	sk.slot = bpf_get_attach_cookie(ctx);
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &sk, &now, BPF_ANY);
}

/* A user-space probe's value (see TRACE_MODE_*); false when there is none. */
static __always_inline bool user_value(void *ctx, __u32 slot, const struct trace_slot *cfg, __u64 *v, bool *neg)
{
	struct pt_regs *regs = ctx;
	struct start_key sk = {};
	__u64 *t0;
	long x;

	*neg = false;
	switch (cfg->mode) {
	case TRACE_MODE_ARG:
		switch (cfg->field_off) {
		case 1: *v = PT_REGS_PARM1(regs); break;
		case 2: *v = PT_REGS_PARM2(regs); break;
		case 3: *v = PT_REGS_PARM3(regs); break;
		case 4: *v = PT_REGS_PARM4(regs); break;
		case 5: *v = PT_REGS_PARM5(regs); break;
		case 6: *v = regs->r9; break; /* libbpf 1.1 has no PT_REGS_PARM6 */
		default: return false;
		}
		return true;
	case TRACE_MODE_RET:
		*v = PT_REGS_RC(regs);
		*neg = (__s64)*v < 0;
		return true;
	case TRACE_MODE_LAT:
		sk.pid_tgid = bpf_get_current_pid_tgid();
		sk.slot = slot;
		t0 = bpf_map_lookup_elem(&starts, &sk);
		if (!t0)
			return false;
		*v = bpf_ktime_get_ns() - *t0;
		bpf_map_delete_elem(&starts, &sk);
		return true;
	case TRACE_MODE_USDT:
		if (bpf_usdt_arg(ctx, cfg->field_off & 15, &x))
			return false;
		*v = x;
		*neg = cfg->field_signed && x < 0;
		return true;
	}
	return false;
}

#endif
