/* top: the top table's kernel side, a part of the scheduler object (bpf/sched.bpf.c includes this
 * once and calls top_switch() at every context switch while SCHED_PART_TOP is on). The user side is
 * src/probes/proc/kernel-top.ts; layouts in bpf/top.h.
 *
 * pidstat -u reads /proc/PID/stat of every process each interval; the scheduler sees every task
 * that runs, so the table is made here instead, touching only the tasks that ran:
 * 1. Switch-out. The run that ends is prev's se.sum_exec_runtime now minus at its switch-in (the
 *    per-CPU `top_cur` record, else se.prev_sum_exec_runtime, which the fair class sets when it
 *    picks a task: a task already on the CPU when the part went on). It is added to its process's
 *    row on this CPU (key: tgid, cpu: only this CPU writes it, plain adds) with the growth of utime - gtime and of stime over the run (their ratio
 *    splits the run into usr and system, as cputime_adjust() splits the runtime for /proc).
 *    A thread's last run (it exits) is counted like any other: a process that ran and exited
 *    within the interval has its row.
 * 2. Switch-in. next's figures go into this CPU's `top_cur`: user space reads it to count the run
 *    of a task still on a CPU when the interval ends (a busy loop alone on a CPU is rarely switched).
 * 3. Two generations, top0 and top1: a switch-out adds its run to the one sched_cfg.top_gen's
 *    parity names, read once per switch. User space bumps top_gen each interval, waits for an RCU
 *    grace period (no run still adds to the other one), then reads and empties the one left. The
 *    generation is chosen by a number the switch also writes into `top_cur` (not through an
 *    ARRAY_OF_MAPS slot): user space then knows which generation took the end of a run it had
 *    counted part of while it was going on, and takes that part back from the same one.
 *    A row that cannot be made (full) is counted in `top_lost`.
 * User space adds up a process's rows of the CPUs.
 */
#ifndef PERFSCOPE_TOP_BPF_H
#define PERFSCOPE_TOP_BPF_H

#include "perfscope.bpf.h"
#include "sched.h"
#include "top.h"

struct top_agg {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TOP_MAX_ROWS);
	__type(key, struct top_key);
	__type(value, struct top_val);
};
struct top_agg top0 SEC(".maps");
struct top_agg top1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct top_cur);
} top_cur SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct top_lost);
} top_lost SEC(".maps");

static __always_inline void top_lost_one(__u64 run)
{
	__u32 zero = 0;
	struct top_lost *l = bpf_map_lookup_elem(&top_lost, &zero);

	if (l) {
		l->runs += 1; /* this CPU's own slot */
		l->run_ns += run;
	}
}

static __always_inline void top_switch(struct sched_cfg *cfg, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, epoch = *(volatile __u32 *)&cfg->top_epoch, gen = *(volatile __u32 *)&cfg->top_gen;
	void *rows = gen & 1 ? (void *)&top1 : (void *)&top0;
	__u64 base, run, usr = 0, sys = 0;
	struct top_key key = {};
	struct top_cur *c;
	struct top_val *v;

	c = bpf_map_lookup_elem(&top_cur, &zero);
	if (!c)
		return;

	/* 1. The run that ends (idle, pid 0, is not a process). */
	if (prev->pid) {
		/* Both read as scalars first (one load from two kinds of pointer is refused by the verifier). */
		__u64 picked = prev->se.prev_sum_exec_runtime, in_sum = c->in_sum, sum = prev->se.sum_exec_runtime;
		__u64 now_usr = prev->utime - prev->gtime, now_sys = prev->stime;
		bool leader = prev->pid == prev->tgid;

		base = picked;
		if (c->epoch == epoch && c->pid == (__u32)prev->pid) {
			base = in_sum;
			usr = now_usr - c->in_usr;
			sys = now_sys - c->in_sys;
		}
		run = sum - base;
		if ((__s64)run > 0 && (__s64)run < (__s64)(60ULL * 1000000000ULL)) {
			if ((__s64)usr < 0)
				usr = 0;
			if ((__s64)sys < 0)
				sys = 0;
			key.tgid = prev->tgid;
			key.cpu = bpf_get_smp_processor_id();
			v = bpf_map_lookup_elem(rows, &key);
			if (v) {
				v->run_ns += run;
				v->usr_ns += usr;
				v->sys_ns += sys;
				v->runs += 1;
				if (leader) {
					v->leader_sum = sum;
					comm_copy(v->comm, prev->comm);
					v->cgroup = bpf_get_current_cgroup_id(); /* prev is current here */
				}
			} else {
				struct top_val nv = {};

				nv.run_ns = run;
				nv.usr_ns = usr;
				nv.sys_ns = sys;
				nv.runs = 1;
				nv.leader_sum = leader ? sum : 0;
				comm_copy(nv.comm, prev->group_leader->comm);
				nv.cgroup = bpf_get_current_cgroup_id();
				/* Only this CPU makes rows of this CPU: the only failure is a full hash. */
				if (bpf_map_update_elem(rows, &key, &nv, BPF_NOEXIST))
					top_lost_one(run);
			}
		}
	}

	/* 2. The task that comes on: seq_end first, seq_begin last (see bpf/top.h). */
	{
		__u32 seq = c->seq_begin + 1;
		bool new_epoch = c->epoch != epoch, new_gen = new_epoch || c->gen != gen;

		volatile struct top_cur *w = c; /* stores in program order (x86 keeps them so) */

		w->seq_end = seq;
		if (new_epoch)
			w->epoch_seq = seq;
		if (new_gen)
			w->gen_seq = seq;
		w->gen = gen;
		w->epoch = epoch;
		w->pid = next->pid;
		w->tgid = next->tgid;
		w->in_sum = next->se.sum_exec_runtime;
		w->in_usr = next->utime - next->gtime;
		w->in_sys = next->stime;
		w->seq_begin = seq;
	}
}

#endif
